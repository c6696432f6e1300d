package io.ordo.raft.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.TopicRecord;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvacuationTest {
  @Test
  void aLeavingNodesReplicasGoToTheLeastLoadedNodesInItsPlace() {
    TopicRecord orders = topic(1, "orders", placement(0, 2, 1), placement(1, 1, 3), placement(2, 3, 4));

    Evacuation.Plan plan = Evacuation.plan(List.of(orders), 1, List.of(2, 3, 4));

    assertThat(plan.stuck()).isEmpty();
    assertThat(plan.targets().get(1L)).extracting(PartitionPlacement::getPartition).containsExactly(0, 1);
    // Loads before: 2 -> 1, 3 -> 2, 4 -> 1. Partition 0 lacks 3 and 4: 4 (load 1). Then 1 lacks 2 and 4: 2 (load 1 < 2).
    assertThat(plan.targets().get(1L).get(0).getTargetReplicasList()).containsExactly(2, 4);
    assertThat(plan.targets().get(1L).get(1).getTargetReplicasList()).as("the preferred leader's place").containsExactly(2, 3);
    assertThat(plan.partitions()).isEqualTo(2);
  }

  @Test
  void aPartitionOnEveryCandidateIsStuckAndMovingPartitionsWaitForTheirMove() {
    PartitionPlacement movingOff = placement(1, 1, 2).toBuilder().addAllTargetReplicas(List.of(3, 2)).build();
    PartitionPlacement movingOn = placement(2, 2, 3).toBuilder().addAllTargetReplicas(List.of(2, 1)).build();
    TopicRecord orders = topic(7, "orders", placement(0, 1, 2, 3), movingOff, movingOn);

    Evacuation.Plan plan = Evacuation.plan(List.of(orders), 1, List.of(2, 3));

    assertThat(plan.stuck()).containsExactly("orders/0");
    assertThat(plan.targets()).isEmpty();
    assertThat(plan.partitions()).isZero();
  }

  @Test
  void aLeavingNodesReplicaGoesToARackThePartitionIsNotOnBeforeALessLoadedNode() {
    // Node 1 (rack a) leaves; partition 0 keeps node 2 (rack b). Node 3 (rack b) holds nothing,
    // node 4 (rack a) holds a replica already: node 4 takes node 1's place, keeping racks a and b.
    TopicRecord orders = topic(1, "orders", placement(0, 1, 2), placement(1, 4, 5));
    Map<Integer, String> racks = Map.of(1, "a", 2, "b", 3, "b", 4, "a", 5, "c");

    Evacuation.Plan plan = Evacuation.plan(List.of(orders), 1, List.of(2, 3, 4, 5), racks);

    assertThat(plan.targets().get(1L)).extracting(PartitionPlacement::getTargetReplicasList).containsExactly(List.of(4, 2));
    assertThat(Evacuation.plan(List.of(orders), 1, List.of(2, 3, 4, 5)).targets().get(1L))
        .extracting(PartitionPlacement::getTargetReplicasList).containsExactly(List.of(3, 2));
  }

  private static TopicRecord topic(long id, String name, PartitionPlacement... partitions) {
    return TopicRecord.newBuilder().setTopicId(id).setName(name).addAllPartitions(Arrays.asList(partitions)).build();
  }

  private static PartitionPlacement placement(int partition, Integer... replicas) {
    return PartitionPlacement.newBuilder().setPartition(partition).addAllReplicas(Arrays.asList(replicas)).build();
  }
}
