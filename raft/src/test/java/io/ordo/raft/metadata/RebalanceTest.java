package io.ordo.raft.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.TopicRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RebalanceTest {
  private static final List<Integer> FOUR_NODES = List.of(1, 2, 3, 4);

  @Test
  void aJoinedNodeTakesReplicasUntilTheImbalanceIsWithinTheThreshold() {
    // Six partitions, RF 3, on nodes 1-3: node 4 joins empty.
    List<TopicRecord> topics = List.of(topic(1, "orders", Placement.assign(List.of(1, 2, 3), List.of(), 6, 3)));

    int moves = 0;
    for (Optional<Rebalance.Move> move; (move = Rebalance.next(topics, FOUR_NODES, Map.of(), 2)).isPresent(); moves++) {
      assertThat(move.get().to()).isEqualTo(4);
      topics = List.of(applied(topics.get(0), move.get()));
      assertThat(moves).as("moves end").isLessThan(18);
    }

    Map<Integer, Integer> load = load(topics);
    assertThat(moves).isEqualTo(3);
    assertThat(load).containsEntry(4, 3);
    assertThat(load.values().stream().mapToInt(i -> i).max().getAsInt() - load.get(4)).isLessThanOrEqualTo(2);
    assertThat(preferredLeaders(topics)).as("node 4 became preferred leader of some partitions").containsKey(4);
    assertThat(Rebalance.next(topics, FOUR_NODES, Map.of(), 1)).as("a lower threshold moves more").isPresent();
  }

  @Test
  void theNewNodeBecomesPreferredLeaderWhenTheDonorLeadsMore() {
    TopicRecord orders = topic(1, "orders", placement(0, 1, 2), placement(1, 1, 3), placement(2, 1, 2), placement(3, 2, 3));
    // Loads 1 -> 3, 2 -> 3, 3 -> 2, 4 -> 0; node 1 is preferred leader of three partitions, node 4 of none.

    Rebalance.Move move = Rebalance.next(List.of(orders), FOUR_NODES, Map.of(), 2).orElseThrow();

    assertThat(move.from()).isEqualTo(1);
    assertThat(move.to()).isEqualTo(4);
    assertThat(move.target().getTargetReplicas(0)).isEqualTo(4);
  }

  @Test
  void withinTheThresholdOrWhileAPartitionMovesNothingMoves() {
    TopicRecord balanced = topic(1, "orders", Placement.assign(List.of(1, 2, 3), List.of(), 2, 3));
    assertThat(Rebalance.next(List.of(balanced), FOUR_NODES, Map.of(), 2)).as("loads 2, 2, 2, 0").isEmpty();
    assertThat(Rebalance.next(List.of(balanced), FOUR_NODES, Map.of(), 0)).as("threshold 0: off").isEmpty();

    TopicRecord lopsided = topic(1, "orders", Placement.assign(List.of(1, 2, 3), List.of(), 6, 3));
    TopicRecord moving = topic(2, "events",
        placement(0, 1, 2, 3).toBuilder().addAllTargetReplicas(List.of(4, 2, 3)).build());
    assertThat(Rebalance.next(List.of(lopsided, moving), FOUR_NODES, Map.of(), 2)).isEmpty();
  }

  @Test
  void aMoveNeverTakesAPartitionOffARack() {
    // Nodes 1 and 2 on rack a, 3 on rack b, 4 joins on rack a: a partition on 1 and 3 may give
    // node 1's replica to node 4 (still a and b), never node 3's.
    Map<Integer, String> racks = Map.of(1, "a", 2, "a", 3, "b", 4, "a");
    TopicRecord orders = topic(1, "orders", placement(0, 3, 1), placement(1, 3, 2), placement(2, 3, 1), placement(3, 3, 2));

    Optional<Rebalance.Move> move = Rebalance.next(List.of(orders), FOUR_NODES, racks, 2);

    // Node 3 holds 4 replicas, but each is its partition's only one on rack b; nodes 1 and 2 are within the threshold.
    assertThat(move).isEmpty();
    Optional<Rebalance.Move> withoutRacks = Rebalance.next(List.of(orders), FOUR_NODES, Map.of(), 2);
    assertThat(withoutRacks).map(Rebalance.Move::from).contains(3);
  }

  @Test
  void noReplicaMovesToANodeWhoseRackIsNotKnownYetInPlaceOfARackedOne() {
    // Nodes 1-3 on racks a, b, c; node 4 has just joined and the cluster has yet to learn its rack.
    Map<Integer, String> racks = Map.of(1, "a", 2, "b", 3, "c");
    TopicRecord orders = topic(1, "orders", Placement.assign(List.of(1, 2, 3), racks, List.of(), 6, 3));

    assertThat(Rebalance.next(List.of(orders), FOUR_NODES, racks, 2)).isEmpty();
    Map<Integer, String> learned = new HashMap<>(racks);
    learned.put(4, "d");
    assertThat(Rebalance.next(List.of(orders), FOUR_NODES, learned, 2)).map(Rebalance.Move::to).contains(4);
  }

  private static TopicRecord applied(TopicRecord topic, Rebalance.Move move) {
    TopicRecord.Builder b = topic.toBuilder();
    int p = move.target().getPartition();
    b.setPartitions(p, topic.getPartitions(p).toBuilder().clearReplicas().addAllReplicas(move.target().getTargetReplicasList()));
    return b.build();
  }

  private static Map<Integer, Integer> load(List<TopicRecord> topics) {
    Map<Integer, Integer> load = new HashMap<>();
    topics.forEach(t -> t.getPartitionsList().forEach(p -> p.getReplicasList().forEach(n -> load.merge(n, 1, Integer::sum))));
    return load;
  }

  private static Map<Integer, Integer> preferredLeaders(List<TopicRecord> topics) {
    Map<Integer, Integer> count = new HashMap<>();
    topics.forEach(t -> t.getPartitionsList().forEach(p -> count.merge(p.getReplicas(0), 1, Integer::sum)));
    return count;
  }

  private static TopicRecord topic(long id, String name, List<PartitionPlacement> partitions) {
    return TopicRecord.newBuilder().setTopicId(id).setName(name).addAllPartitions(new ArrayList<>(partitions)).build();
  }

  private static TopicRecord topic(long id, String name, PartitionPlacement... partitions) {
    return topic(id, name, Arrays.asList(partitions));
  }

  private static PartitionPlacement placement(int partition, Integer... replicas) {
    return PartitionPlacement.newBuilder().setPartition(partition).addAllReplicas(Arrays.asList(replicas)).build();
  }
}
