package io.ordo.raft.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.TopicRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PlacementTest {
  static Stream<Arguments> clusters() {
    List<Arguments> out = new ArrayList<>();
    for (int nodes : new int[] {3, 5}) {
      for (int partitions : new int[] {1, 2, 3, 4, 7, 10, 16}) {
        for (int rf = 1; rf <= Math.min(nodes, 3); rf++) {
          out.add(Arguments.of(nodes, partitions, rf));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} nodes, {1} partitions, RF {2}")
  @MethodSource("clusters")
  void everyPartitionHasReplicationFactorDistinctReplicasInNumberedOrder(int nodes, int partitions, int rf) {
    List<PartitionPlacement> placement = Placement.assign(nodeIds(nodes), List.of(), partitions, rf);

    assertThat(placement).hasSize(partitions);
    for (int p = 0; p < partitions; p++) {
      PartitionPlacement pp = placement.get(p);
      assertThat(pp.getPartition()).isEqualTo(p);
      assertThat(pp.getReplicasList()).hasSize(rf).doesNotHaveDuplicates().allMatch(id -> nodeIds(nodes).contains(id));
    }
  }

  @ParameterizedTest(name = "{0} nodes, {1} partitions, RF {2}")
  @MethodSource("clusters")
  void preferredLeadersAreSpreadEvenlyOverNodes(int nodes, int partitions, int rf) {
    List<PartitionPlacement> placement = Placement.assign(nodeIds(nodes), List.of(), partitions, rf);

    assertThat(spread(preferredLeaderCounts(nodes, List.of(topic(1, placement))))).isLessThanOrEqualTo(1);
  }

  static Stream<Arguments> wholeRounds() {
    return clusters().filter(a -> (int) a.get()[2] == 1 || (int) a.get()[1] % (int) a.get()[0] == 0);
  }

  @ParameterizedTest(name = "{0} nodes, {1} partitions, RF {2}")
  @MethodSource("wholeRounds")
  void replicasAreSpreadEvenlyWhenThePartitionsFillWholeRoundsOfNodes(int nodes, int partitions, int rf) {
    List<PartitionPlacement> placement = Placement.assign(nodeIds(nodes), List.of(), partitions, rf);

    assertThat(spread(replicaCounts(nodes, placement))).isLessThanOrEqualTo(1);
  }

  @ParameterizedTest(name = "{0} nodes, {1} partitions, RF {2}")
  @MethodSource("clusters")
  void replicasAreSpreadEvenlyOverNodes(int nodes, int partitions, int rf) {
    List<PartitionPlacement> placement = Placement.assign(nodeIds(nodes), List.of(), partitions, rf);

    assertThat(spread(replicaCounts(nodes, placement))).as("replicas per node %s", replicaCounts(nodes, placement))
        .isLessThanOrEqualTo(1);
  }

  @Test
  void preferredLeadersStayBalancedAcrossTopicsCreatedInSequence() {
    for (int nodes : new int[] {3, 5}) {
      // Partition counts that do not divide the node count, so a naive start at the lowest id
      // would pile leaders onto the first nodes.
      for (int[] sequence : new int[][] {{1, 1, 1, 1, 1}, {2, 2, 2, 2}, {1, 2, 4, 3, 1, 7, 2}, {4, 4, 4}, {7, 1, 6, 2}}) {
        List<TopicRecord> topics = new ArrayList<>();
        for (int t = 0; t < sequence.length; t++) {
          List<PartitionPlacement> placement = Placement.assign(nodeIds(nodes), topics, sequence[t], Math.min(3, nodes));
          topics.add(topic(t + 1, placement));

          assertThat(spread(preferredLeaderCounts(nodes, topics)))
              .as("%d nodes, after topics with %s partitions", nodes, Arrays.toString(Arrays.copyOf(sequence, t + 1)))
              .isLessThanOrEqualTo(1);
        }
      }
    }
  }

  @Test
  void sameInputsGiveTheSamePlacement() {
    List<TopicRecord> existing = List.of(topic(1, Placement.assign(nodeIds(5), List.of(), 3, 2)));

    assertThat(Placement.assign(nodeIds(5), existing, 4, 3)).isEqualTo(Placement.assign(nodeIds(5), existing, 4, 3));
  }

  @Test
  void nodeIdsNeedNotBeContiguous() {
    List<Integer> ids = List.of(2, 7, 11);

    List<PartitionPlacement> placement = Placement.assign(ids, List.of(), 6, 3);

    assertThat(placement).allSatisfy(p -> assertThat(new HashSet<>(p.getReplicasList())).isEqualTo(new HashSet<>(ids)));
    assertThat(placement).extracting(p -> p.getReplicas(0)).containsOnly(2, 7, 11);
  }

  @ParameterizedTest(name = "{0} nodes, {1} partitions, RF {2}")
  @MethodSource("clusters")
  void replicasOfAPartitionAreOnDistinctRacksWhileThereAreRacksToSpare(int nodes, int partitions, int rf) {
    // Racks a, b, a, b, ...: two racks, each with about half the nodes.
    Map<Integer, String> racks = new TreeMap<>();
    nodeIds(nodes).forEach(id -> racks.put(id, id % 2 == 1 ? "a" : "b"));

    List<PartitionPlacement> placement = Placement.assign(nodeIds(nodes), racks, List.of(), partitions, rf);

    assertThat(placement).allSatisfy(p -> {
      assertThat(new HashSet<>(p.getReplicasList())).hasSize(rf);
      assertThat(p.getReplicasList().stream().map(racks::get).distinct().count()).isEqualTo(Math.min(rf, 2));
    });
  }

  @Test
  void aRackOfItsOwnGetsAReplicaOfEveryPartitionEvenWhenItsNodeIsLoaded() {
    // Nodes 1-4 on rack "a", node 5 alone on "b": every partition has a replica on node 5.
    Map<Integer, String> racks = Map.of(1, "a", 2, "a", 3, "a", 4, "a", 5, "b");

    List<PartitionPlacement> placement = Placement.assign(nodeIds(5), racks, List.of(), 10, 2);

    assertThat(placement).allSatisfy(p -> assertThat(p.getReplicasList()).contains(5));
  }

  @Test
  void withoutRacksPlacementIsByLoadAlone() {
    assertThat(Placement.assign(nodeIds(5), Map.of(), List.of(), 7, 3)).isEqualTo(Placement.assign(nodeIds(5), List.of(), 7, 3));
    assertThat(Placement.assign(nodeIds(5), Map.of(1, "a", 2, "a", 3, "a", 4, "a", 5, "a"), List.of(), 7, 3))
        .isEqualTo(Placement.assign(nodeIds(5), List.of(), 7, 3));
  }

  @Test
  void replicationFactorAboveTheNodeCountThrows() {
    assertThatThrownBy(() -> Placement.assign(nodeIds(3), List.of(), 2, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("replication factor 4")
        .hasMessageContaining("3 nodes");
  }

  private static List<Integer> nodeIds(int n) {
    return IntStream.rangeClosed(1, n).boxed().toList();
  }

  private static TopicRecord topic(long id, List<PartitionPlacement> placement) {
    return TopicRecord.newBuilder().setTopicId(id).setName("t" + id).addAllPartitions(placement).build();
  }

  private static Map<Integer, Integer> replicaCounts(int nodes, List<PartitionPlacement> placement) {
    Map<Integer, Integer> counts = zeroCounts(nodes);
    placement.forEach(p -> p.getReplicasList().forEach(id -> counts.merge(id, 1, Integer::sum)));
    return counts;
  }

  private static Map<Integer, Integer> preferredLeaderCounts(int nodes, Collection<TopicRecord> topics) {
    Map<Integer, Integer> counts = zeroCounts(nodes);
    topics.forEach(t -> t.getPartitionsList().forEach(p -> counts.merge(p.getReplicas(0), 1, Integer::sum)));
    return counts;
  }

  private static Map<Integer, Integer> zeroCounts(int nodes) {
    Map<Integer, Integer> counts = new TreeMap<>();
    nodeIds(nodes).forEach(id -> counts.put(id, 0));
    return counts;
  }

  private static int spread(Map<Integer, Integer> counts) {
    return counts.values().stream().max(Integer::compare).orElseThrow()
        - counts.values().stream().min(Integer::compare).orElseThrow();
  }
}
