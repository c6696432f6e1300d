package io.ordo.raft.metadata;

import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.TopicRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The next replica move that evens out the nodes' replica counts, after a node joined (Kafka's
 * Cruise Control, Redpanda's continuous balancing, in their simplest form). A move is planned only
 * while the most and least loaded nodes differ by more than a threshold, so small imbalances (a
 * topic whose partitions do not divide evenly) never cause traffic; each move copies a partition,
 * so one is planned at a time and only when nothing else moves.
 *
 * <p>The move takes one replica off the most loaded node and puts it on the least loaded node that
 * the partition is not on yet, in its place in the replica order: moving a preferred leader's place
 * moves the preferred leadership too, which is chosen when the donor is preferred leader of more
 * partitions than the taker (leaders then even out with the replicas). A move never takes a
 * partition off a rack it would then lack; where nodes have racks, a node without one (a node that
 * just joined, whose rack the cluster has yet to learn) counts as on no rack at all, so no
 * partition moves to it in place of a racked replica until its rack is known.
 */
public final class Rebalance {
  /**
   * @param topicId the moving partition's topic
   * @param target the partition with its new target replicas
   * @param from the node giving a replica up
   * @param to the node taking it
   */
  public record Move(long topicId, PartitionPlacement target, int from, int to) {}

  private Rebalance() {}

  /**
   * @param nodes the nodes that may hold replicas (live, not leaving)
   * @param racks node id to rack; a node absent has none
   * @param threshold how far apart the most and least loaded nodes' replica counts may be; below 1, never move
   */
  public static Optional<Move> next(Collection<TopicRecord> topics, List<Integer> nodes, Map<Integer, String> racks, int threshold) {
    if (threshold < 1 || nodes.size() < 2) {
      return Optional.empty();
    }
    Map<Integer, Integer> load = new HashMap<>();
    Map<Integer, Integer> preferred = new HashMap<>();
    nodes.forEach(n -> {
      load.put(n, 0);
      preferred.put(n, 0);
    });
    for (TopicRecord topic : topics) {
      for (PartitionPlacement p : topic.getPartitionsList()) {
        if (p.getTargetReplicasCount() > 0) {
          return Optional.empty(); // one move at a time
        }
        p.getReplicasList().forEach(n -> load.computeIfPresent(n, (k, v) -> v + 1));
        if (p.getReplicasCount() > 0) {
          preferred.computeIfPresent(p.getReplicas(0), (k, v) -> v + 1);
        }
      }
    }
    Comparator<Integer> byLoad = Comparator.<Integer>comparingInt(load::get).thenComparingInt(preferred::get).thenComparingInt(n -> n);
    List<Integer> donors = nodes.stream().sorted(byLoad.reversed()).toList();
    List<Integer> takers = nodes.stream().sorted(byLoad).toList();
    for (int from : donors) {
      for (int to : takers) {
        if (load.get(from) - load.get(to) <= threshold) {
          break; // later takers are more loaded still
        }
        Optional<Move> move = moveBetween(topics, from, to, racks, preferred.get(from) > preferred.get(to) + 1);
        if (move.isPresent()) {
          return move;
        }
      }
    }
    return Optional.empty();
  }

  /** A partition on {@code from} and not on {@code to} to move, its preferred leadership with it if {@code movePreferred}. */
  private static Optional<Move> moveBetween(Collection<TopicRecord> topics, int from, int to, Map<Integer, String> racks, boolean movePreferred) {
    Move fallback = null;
    for (TopicRecord topic : topics) {
      for (PartitionPlacement p : topic.getPartitionsList()) {
        List<Integer> replicas = p.getReplicasList();
        int at = replicas.indexOf(from);
        if (at < 0 || replicas.contains(to)) {
          continue;
        }
        List<Integer> target = new ArrayList<>(replicas);
        target.set(at, to);
        if (rackCount(target, racks) < rackCount(replicas, racks)) {
          continue;
        }
        Move move = new Move(topic.getTopicId(),
            PartitionPlacement.newBuilder().setPartition(p.getPartition()).addAllTargetReplicas(target).build(), from, to);
        if ((at == 0) == movePreferred) {
          return Optional.of(move);
        }
        if (fallback == null) {
          fallback = move;
        }
      }
    }
    return Optional.ofNullable(fallback);
  }

  private static int rackCount(List<Integer> replicas, Map<Integer, String> racks) {
    Set<String> distinct = new HashSet<>();
    replicas.forEach(n -> distinct.add(Placement.rackOf(racks, n)));
    if (!racks.isEmpty()) {
      distinct.remove(""); // not a rack of its own
    }
    return distinct.size();
  }
}
