package io.ordo.raft.metadata;

import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.TopicRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a leaving node's replicas go. Each partition placed on it gets the same replicas with the
 * leaving node replaced, in its place in the order (a preferred leader by its replacement), by the
 * candidate holding the fewest replicas that the partition lacks, one on a rack the partition's
 * other replicas are not on first (see {@link Placement}). A partition that is moving is
 * left alone until its move is done (a partition takes one move at a time).
 */
public final class Evacuation {
  /**
   * @param targets per topic id, the partitions' new target replicas
   * @param stuck "topic/partition" of partitions that have a replica on every candidate already
   */
  public record Plan(Map<Long, List<PartitionPlacement>> targets, List<String> stuck) {
    public int partitions() {
      return targets.values().stream().mapToInt(List::size).sum();
    }
  }

  private Evacuation() {}

  public static Plan plan(Collection<TopicRecord> topics, int leaving, List<Integer> candidates) {
    return plan(topics, leaving, candidates, Map.of());
  }

  /** @param racks node id to rack; a node absent has none */
  public static Plan plan(Collection<TopicRecord> topics, int leaving, List<Integer> candidates, Map<Integer, String> racks) {
    Map<Integer, Integer> load = new HashMap<>();
    candidates.forEach(n -> load.put(n, 0));
    for (TopicRecord topic : topics) {
      for (PartitionPlacement p : topic.getPartitionsList()) {
        current(p).forEach(n -> load.computeIfPresent(n, (k, v) -> v + 1));
      }
    }
    Map<Long, List<PartitionPlacement>> targets = new LinkedHashMap<>();
    List<String> stuck = new ArrayList<>();
    for (TopicRecord topic : topics) {
      for (PartitionPlacement p : topic.getPartitionsList()) {
        if (p.getTargetReplicasCount() > 0) {
          continue; // moving: planned again once that move is done
        }
        List<Integer> replicas = p.getReplicasList();
        int at = replicas.indexOf(leaving);
        if (at < 0) {
          continue;
        }
        Set<String> racksKept = new HashSet<>();
        replicas.stream().filter(n -> n != leaving).forEach(n -> racksKept.add(Placement.rackOf(racks, n)));
        Integer replacement = null;
        boolean replacementOnNewRack = false;
        for (int candidate : candidates) {
          if (replicas.contains(candidate)) {
            continue;
          }
          boolean onNewRack = !racksKept.contains(Placement.rackOf(racks, candidate));
          if (replacement == null || Placement.beats(onNewRack, load.get(candidate), replacementOnNewRack, load.get(replacement))) {
            replacement = candidate;
            replacementOnNewRack = onNewRack;
          }
        }
        if (replacement == null) {
          stuck.add(topic.getName() + "/" + p.getPartition());
          continue;
        }
        load.merge(replacement, 1, Integer::sum);
        List<Integer> target = new ArrayList<>(replicas);
        target.set(at, replacement);
        targets.computeIfAbsent(topic.getTopicId(), id -> new ArrayList<>())
            .add(PartitionPlacement.newBuilder().setPartition(p.getPartition()).addAllTargetReplicas(target).build());
      }
    }
    return new Plan(targets, stuck);
  }

  /** The replicas a partition has or is moving to. */
  private static List<Integer> current(PartitionPlacement p) {
    return p.getTargetReplicasCount() > 0 ? p.getTargetReplicasList() : p.getReplicasList();
  }
}
