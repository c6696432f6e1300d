package io.ordo.raft.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.raft.v1.AddAcls;
import io.ordo.proto.raft.v1.AddPartitions;
import io.ordo.proto.raft.v1.AssignStorage;
import io.ordo.proto.raft.v1.CleanupPolicy;
import io.ordo.proto.raft.v1.CompleteReassignment;

import io.ordo.proto.raft.v1.CreateQueueGroup;
import io.ordo.proto.raft.v1.CreateTopic;
import io.ordo.proto.raft.v1.DecommissionNode;
import io.ordo.proto.raft.v1.DeleteGroup;
import io.ordo.proto.raft.v1.DeleteTopic;
import io.ordo.proto.raft.v1.DeleteUser;
import io.ordo.proto.raft.v1.DeregisterNode;
import io.ordo.proto.raft.v1.FinalizeFeatures;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.MetadataState;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.ReassignPartitions;
import io.ordo.proto.raft.v1.RemoveAcls;
import io.ordo.proto.raft.v1.RegisterGroup;
import io.ordo.proto.raft.v1.RegisterNodes;
import io.ordo.proto.raft.v1.SetClusterId;
import io.ordo.proto.raft.v1.SetNodeRacks;
import io.ordo.proto.raft.v1.SetTopicConfig;
import io.ordo.proto.raft.v1.TopicConfig;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.raft.v1.UpsertUser;
import io.ordo.proto.raft.v1.UserRecord;
import io.ordo.proto.v1.Acl;
import io.ordo.proto.v1.AclOperation;
import io.ordo.proto.v1.AclPermission;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.PatternType;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.ResourceType;
import io.ordo.proto.v1.ScramCredential;
import io.ordo.protocol.Scram;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetadataStateMachineTest {
  private final MetadataStateMachine machine = new MetadataStateMachine(MetadataState.getDefaultInstance());
  private long index;

  @BeforeEach
  void registerThreeNodes() {
    assertThat(apply(register(1, 2, 3)).isOk()).isTrue();
  }

  @Test
  void registeredNodesAreInTheStateAndReRegisteringReplacesAddresses() {
    assertThat(machine.state().getNodesList()).extracting(NodeInfo::getNodeId).containsExactly(1, 2, 3);

    apply(MetadataCommand.newBuilder()
        .setRegisterNodes(RegisterNodes.newBuilder().addNodes(node(2).toBuilder().setClientAddress("10.0.0.2:1")))
        .build());

    assertThat(machine.state().getNodesList()).hasSize(3);
    assertThat(new MetadataView(machine.state()).node(2).orElseThrow().getClientAddress()).isEqualTo("10.0.0.2:1");
  }

  @Test
  void createdTopicsGetIncreasingIdsFromOneAndKeepTheirPlacement() {
    MetadataResult first = apply(create("orders", 3, 2));
    MetadataResult second = apply(createAt(5_000, "payments", 1, 3));

    assertThat(first.isOk()).isTrue();
    assertThat(first.topic().getTopicId()).isEqualTo(1);
    assertThat(second.topic().getTopicId()).isEqualTo(2);
    assertThat(second.topic().getCreatedAtMs()).isEqualTo(5_000);
    TopicRecord orders = new MetadataView(machine.state()).topic("orders").orElseThrow();
    assertThat(orders.getReplicationFactor()).isEqualTo(2);
    assertThat(orders.getPartitionsList()).extracting(PartitionPlacement::getReplicasList)
        .containsExactly(List.of(1, 2), List.of(2, 3), List.of(3, 1));
  }

  @Test
  void topicIdsAreNeverReusedAfterDeleteAndRecreate() {
    long firstId = apply(create("orders", 1, 1)).topic().getTopicId();

    assertThat(apply(delete("orders")).isOk()).isTrue();
    assertThat(new MetadataView(machine.state()).topic("orders")).isEmpty();
    MetadataResult again = apply(create("orders", 1, 1));

    assertThat(again.topic().getTopicId()).isGreaterThan(firstId);
  }

  @Test
  void refusedCreatesDoNotUseUpTopicIds() {
    apply(create("orders", 1, 1));
    apply(create("orders", 1, 1));
    apply(create("bad name", 1, 1));

    assertThat(apply(create("payments", 1, 1)).topic().getTopicId()).isEqualTo(2);
  }

  @Test
  void duplicateTopicNameIsRefusedWithTopicAlreadyExists() {
    apply(create("orders", 1, 1));

    MetadataResult result = apply(create("orders", 2, 2));

    assertRefused(result, ErrorCode.TOPIC_ALREADY_EXISTS, "orders");
    assertThat(new MetadataView(machine.state()).topic("orders").orElseThrow().getPartitionsCount()).isEqualTo(1);
  }

  @Test
  void invalidTopicNamesAreRefused() {
    for (String name : List.of("", "a b", "..", ".", "x".repeat(201), "topic/1", "ünïcode")) {
      assertRefused(apply(create(name, 1, 1)), ErrorCode.INVALID_TOPIC_NAME, "");
    }
    assertThat(machine.state().getTopicsList()).isEmpty();
  }

  @Test
  void topicWithoutPartitionsIsRefused() {
    MetadataResult result =
        apply(MetadataCommand.newBuilder().setCreateTopic(CreateTopic.newBuilder().setName("t").setReplicationFactor(1)).build());

    assertRefused(result, ErrorCode.INVALID_PARTITION_COUNT, "partition");
  }

  @Test
  void aTopicGrowsByPartitionsNumberedOnFromItsLast() {
    long id = apply(create("orders", 2, 2)).topic().getTopicId();

    MetadataResult grown = apply(addPartitions("orders", placement(2, 3, 1), placement(3, 1, 2)));

    assertThat(grown.isOk()).isTrue();
    TopicRecord orders = new MetadataView(machine.state()).topic("orders").orElseThrow();
    assertThat(orders.getTopicId()).isEqualTo(id);
    assertThat(orders.getPartitionsList()).extracting(PartitionPlacement::getPartition).containsExactly(0, 1, 2, 3);
    assertThat(orders.getPartitions(3).getReplicasList()).containsExactly(1, 2);
  }

  @Test
  void partitionsThatDoNotFollowOnOrAreMisplacedAreRefused() {
    apply(create("orders", 2, 2));

    assertRefused(apply(addPartitions("orders", placement(3, 1, 2))), ErrorCode.INVALID_PARTITION_COUNT, "has 2 partitions now");
    assertRefused(apply(addPartitions("orders", placement(2, 1, 2), placement(4, 2, 3))), ErrorCode.INVALID_REPLICATION_FACTOR, "partition 3");
    assertRefused(apply(addPartitions("orders", placement(2, 1))), ErrorCode.INVALID_REPLICATION_FACTOR, "placement");
    assertRefused(apply(addPartitions("orders", placement(2, 1, 4))), ErrorCode.INVALID_REPLICATION_FACTOR, "placement");
    assertRefused(apply(addPartitions("orders")), ErrorCode.INVALID_PARTITION_COUNT, "has 2 partitions");
    assertRefused(apply(addPartitions("nope", placement(0, 1, 2))), ErrorCode.UNKNOWN_TOPIC, "nope");
    assertThat(new MetadataView(machine.state()).topic("orders").orElseThrow().getPartitionsCount()).isEqualTo(2);
  }

  @Test
  void aTopicCreatedAgainIsNotGrownByAChangeMadeForTheOldOne() {
    apply(create("orders", 2, 2));
    MetadataCommand forTheOld = addPartitions("orders", placement(2, 1, 2));
    apply(delete("orders"));
    apply(create("orders", 2, 2));

    assertRefused(apply(forTheOld), ErrorCode.UNKNOWN_TOPIC, "created again");
  }

  @Test
  void aReassignmentSetsTargetsAndItsCompletionMakesThemTheReplicas() {
    long id = apply(create("orders", 2, 2)).topic().getTopicId();

    MetadataResult started = apply(reassign(id, target(0, 2, 3), target(1, 1, 2, 3)));

    assertThat(started.isOk()).isTrue();
    assertThat(started.topic().getPartitions(0).getReplicasList()).as("replicas stay until done").containsExactly(1, 2);
    assertThat(started.topic().getPartitions(0).getTargetReplicasList()).containsExactly(2, 3);
    assertThat(started.topic().getPartitions(1).getTargetReplicasList()).containsExactly(1, 2, 3);

    assertRefused(apply(complete(id, 0, 3, 2)), ErrorCode.INVALID_REQUEST, "not moving to [3, 2]");
    assertThat(apply(complete(id, 0, 2, 3)).isOk()).isTrue();

    TopicRecord orders = new MetadataView(machine.state()).topic("orders").orElseThrow();
    assertThat(orders.getPartitions(0).getReplicasList()).containsExactly(2, 3);
    assertThat(orders.getPartitions(0).getTargetReplicasList()).isEmpty();
    assertThat(orders.getPartitions(1).getReplicasList()).as("still moving").containsExactly(2, 3);
    assertRefused(apply(complete(id, 0, 2, 3)), ErrorCode.INVALID_REQUEST, "not moving");
  }

  @Test
  void aMovingPartitionIsNotMovedAgainUntilItsMoveIsDoneAndThenStaysMarkedMoved() {
    long id = apply(create("orders", 1, 2)).topic().getTopicId();
    apply(reassign(id, target(0, 2, 3)));

    assertRefused(apply(reassign(id, target(0, 3, 1))), ErrorCode.INVALID_REQUEST, "is moving to [2, 3] already");
    assertRefused(apply(reassign(id, target(0, 1, 2))), ErrorCode.INVALID_REQUEST, "is moving to [2, 3] already");
    assertThat(new MetadataView(machine.state()).topic("orders").orElseThrow().getPartitions(0).getMoved()).isFalse();
    apply(complete(id, 0, 2, 3));

    PartitionPlacement moved = new MetadataView(machine.state()).topic("orders").orElseThrow().getPartitions(0);
    assertThat(moved.getReplicasList()).containsExactly(2, 3);
    assertThat(moved.getMoved()).isTrue();
    assertThat(apply(reassign(id, target(0, 3, 1))).isOk()).isTrue();
  }

  @Test
  void aNodeCannotTakeARaftAddressAnotherNodeHas() {
    MetadataResult clash = apply(MetadataCommand.newBuilder()
        .setRegisterNodes(RegisterNodes.newBuilder().addNodes(node(4).toBuilder().setRaftAddress(node(2).getRaftAddress())))
        .build());

    assertRefused(clash, ErrorCode.INVALID_REQUEST, "belongs to node 2");
    assertThat(machine.state().getNodesList()).extracting(NodeInfo::getNodeId).containsExactly(1, 2, 3);
  }

  @Test
  void reassignmentsToUnknownNodesDuplicatesOrMissingPartitionsAreRefusedWhole() {
    long id = apply(create("orders", 2, 2)).topic().getTopicId();

    assertRefused(apply(reassign(id, target(0, 2, 3), target(1, 4))), ErrorCode.INVALID_REPLICATION_FACTOR, "node 4 is not registered");
    assertRefused(apply(reassign(id, target(0, 2, 2))), ErrorCode.INVALID_REPLICATION_FACTOR, "named twice");
    assertRefused(apply(reassign(id, target(0))), ErrorCode.INVALID_REPLICATION_FACTOR, "1 to");
    assertRefused(apply(reassign(id, target(2, 1, 2))), ErrorCode.INVALID_REQUEST, "partition 2");
    assertRefused(apply(reassign(id, target(0, 1), target(0, 2))), ErrorCode.INVALID_REQUEST, "named twice");
    assertRefused(apply(reassign(id + 1, target(0, 1))), ErrorCode.UNKNOWN_TOPIC, "does not exist");
    assertThat(new MetadataView(machine.state()).topic("orders").orElseThrow().getPartitionsList())
        .allMatch(p -> p.getTargetReplicasCount() == 0);
  }

  @Test
  void aDecommissionedNodeStaysSoWhenReRegisteredAndIsDeregisteredOnlyOnceNothingIsPlacedOnIt() {
    long id = apply(create("orders", 1, 2)).topic().getTopicId();

    assertThat(apply(MetadataCommand.newBuilder().setDecommissionNode(DecommissionNode.newBuilder().setNodeId(2)).build()).isOk()).isTrue();
    apply(register(2));

    assertThat(new MetadataView(machine.state()).node(2).orElseThrow().getDecommissioning()).isTrue();
    assertRefused(apply(deregister(2)), ErrorCode.INVALID_REQUEST, "still has a replica of orders/0");
    apply(reassign(id, target(0, 1, 3)));
    assertRefused(apply(deregister(3)), ErrorCode.INVALID_REQUEST, "still has a replica of orders/0");
    apply(complete(id, 0, 1, 3));
    assertThat(apply(deregister(2)).isOk()).isTrue();
    assertThat(machine.state().getNodesList()).extracting(NodeInfo::getNodeId).containsExactly(1, 3);
    assertRefused(apply(MetadataCommand.newBuilder().setDecommissionNode(DecommissionNode.newBuilder().setNodeId(2)).build()),
        ErrorCode.INVALID_REQUEST, "node 2 is not registered");
  }

  @Test
  void aNewStorageGivesANodeANewIncarnationKeptWhenReRegisteredAndItsPartitionsRejoinAsMoves() {
    long orders = apply(create("orders", 2, 3)).topic().getTopicId();
    long single = apply(createOn("single", 1, 1, 3)).topic().getTopicId();
    apply(reassign(orders, target(1, 1, 3, 2)));

    assertThat(apply(assignStorage(2, "disk-b")).isOk()).isTrue();
    assertThat(apply(assignStorage(2, "disk-b")).isOk()).isTrue(); // asked again: the same incarnation
    apply(register(2));

    MetadataView view = new MetadataView(machine.state());
    NodeInfo node2 = view.node(2).orElseThrow();
    assertThat(node2.getIncarnation()).isEqualTo(1);
    assertThat(node2.getStorageId()).isEqualTo("disk-b");
    assertThat(MetadataView.raftPeer(node2)).isEqualTo(node2.getRaftAddress() + ":1");
    assertThat(view.nodeByRaftPeer(node2.getRaftAddress() + ":1")).contains(node2);
    assertThat(view.nodeByRaftPeer(node2.getRaftAddress())).as("the lost incarnation").isEmpty();
    TopicRecord topic = view.topic("orders").orElseThrow();
    assertThat(topic.getPartitions(0).getTargetReplicasList()).as("a partition on node 2 rejoins it").isEqualTo(topic.getPartitions(0).getReplicasList());
    assertThat(topic.getPartitions(1).getTargetReplicasList()).as("a move under way stays as asked").containsExactly(1, 3, 2);
    assertThat(view.topic("single").orElseThrow().getPartitions(0).getTargetReplicasCount()).as("not on node 2").isZero();

    assertThat(apply(assignStorage(2, "disk-c")).isOk()).isTrue();
    assertThat(new MetadataView(machine.state()).node(2).orElseThrow().getIncarnation()).isEqualTo(2);
    assertRefused(apply(assignStorage(7, "disk-x")), ErrorCode.INVALID_REQUEST, "node 7 is not registered");
    assertRefused(apply(assignStorage(2, "")), ErrorCode.INVALID_REQUEST, "storage id");
    assertThat(single).isPositive();
  }

  @Test
  void theClusterIsNamedOnce() {
    apply(MetadataCommand.newBuilder().setSetClusterId(SetClusterId.newBuilder().setClusterId("first")).build());
    apply(MetadataCommand.newBuilder().setSetClusterId(SetClusterId.newBuilder().setClusterId("second")).build());

    assertThat(machine.state().getClusterId()).isEqualTo("first");
    assertThat(new MetadataStateMachine(machine.state()).state().getClusterId()).isEqualTo("first");
  }

  private static MetadataCommand assignStorage(int nodeId, String storageId) {
    return MetadataCommand.newBuilder().setAssignStorage(AssignStorage.newBuilder().setNodeId(nodeId).setStorageId(storageId)).build();
  }

  private static MetadataCommand deregister(int nodeId) {
    return MetadataCommand.newBuilder().setDeregisterNode(DeregisterNode.newBuilder().setNodeId(nodeId)).build();
  }

  private static MetadataCommand reassign(long topicId, PartitionPlacement... targets) {
    return MetadataCommand.newBuilder()
        .setReassignPartitions(ReassignPartitions.newBuilder().setTopicId(topicId).addAllPartitions(Arrays.asList(targets)))
        .build();
  }

  private static PartitionPlacement target(int partition, Integer... replicas) {
    return PartitionPlacement.newBuilder().setPartition(partition).addAllTargetReplicas(Arrays.asList(replicas)).build();
  }

  private static MetadataCommand complete(long topicId, int partition, Integer... replicas) {
    return MetadataCommand.newBuilder()
        .setCompleteReassignment(
            CompleteReassignment.newBuilder().setTopicId(topicId).setPartition(partition).addAllReplicas(Arrays.asList(replicas)))
        .build();
  }

  @Test
  void placementOnAnUnknownNodeIsRefused() {
    assertRefused(apply(createOn("t", 2, 1, 4)), ErrorCode.INVALID_REPLICATION_FACTOR, "placement");
  }

  @Test
  void placementWithADuplicateReplicaIsRefused() {
    assertRefused(apply(createOn("t", 1, 2, 1)), ErrorCode.INVALID_REPLICATION_FACTOR, "placement");
  }

  @Test
  void placementWithTheWrongNumberOfReplicasIsRefused() {
    MetadataCommand tooFew =
        command(CreateTopic.newBuilder().setName("t").setReplicationFactor(3).addPartitions(placement(0, 1, 2)));
    MetadataCommand mixed =
        command(
            CreateTopic.newBuilder()
                .setName("t")
                .setReplicationFactor(2)
                .addPartitions(placement(0, 1, 2))
                .addPartitions(placement(1, 1, 2, 3)));

    assertRefused(apply(tooFew), ErrorCode.INVALID_REPLICATION_FACTOR, "partition 0");
    assertRefused(apply(mixed), ErrorCode.INVALID_REPLICATION_FACTOR, "partition 1");
    assertThat(machine.state().getTopicsList()).isEmpty();
  }

  @Test
  void placementWithPartitionsOutOfOrderIsRefused() {
    MetadataCommand skipped =
        command(CreateTopic.newBuilder().setName("t").setReplicationFactor(1).addPartitions(placement(1, 1)));

    assertRefused(apply(skipped), ErrorCode.INVALID_REPLICATION_FACTOR, "partition 0");
  }

  @Test
  void replicationFactorZeroIsRefused() {
    MetadataCommand noReplicas =
        command(CreateTopic.newBuilder().setName("t").setReplicationFactor(0).addPartitions(placement(0)));

    assertRefused(apply(noReplicas), ErrorCode.INVALID_REPLICATION_FACTOR, "");
  }

  @Test
  void deletingAnUnknownTopicIsRefused() {
    assertRefused(apply(delete("nope")), ErrorCode.UNKNOWN_TOPIC, "nope");
  }

  @Test
  void applyingAnAlreadyAppliedIndexThrows() {
    assertThatThrownBy(() -> machine.apply(index, create("t", 1, 1))).isInstanceOf(IllegalStateException.class);
    assertThat(machine.isApplied(index)).isTrue();
    assertThat(machine.isApplied(index + 1)).isFalse();
  }

  @Test
  void refusedCommandsStillAdvanceTheAppliedIndex() {
    apply(delete("nope"));

    assertThat(machine.state().getAppliedIndex()).isEqualTo(index);
  }

  @Test
  void commandWithoutAnOpThrows() {
    assertThatThrownBy(() -> machine.apply(index + 1, MetadataCommand.getDefaultInstance()))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void stateRoundTripsThroughANewMachine() {
    apply(createOn("a", 2, 1, 2));
    apply(create("b", 1, 2));
    apply(delete("a"));
    MetadataState state = machine.state();

    MetadataStateMachine restored = new MetadataStateMachine(state);

    assertThat(restored.state()).isEqualTo(state);
    assertThat(restored.isApplied(index)).isTrue();
    // Both go on to assign the same next id: deleted topic 1's id stays used.
    MetadataResult original = apply(create("c", 1, 3));
    MetadataResult copy = restored.apply(index, create("c", 1, 3));
    assertThat(copy).isEqualTo(original);
    assertThat(copy.topic().getTopicId()).isEqualTo(3);
    assertThat(restored.state()).isEqualTo(machine.state());
  }

  private static MetadataCommand registerGroup(long timestampMs, String name, String... topics) {
    return MetadataCommand.newBuilder()
        .setTimestampMs(timestampMs)
        .setRegisterGroup(RegisterGroup.newBuilder().setName(name).addAllTopics(Arrays.asList(topics)))
        .build();
  }

  @Test
  void aGroupIsRegisteredOnceAndGrowsItsTopicsUntilDeleted() {
    assertThat(apply(registerGroup(1_000, "workers", "orders")).isOk()).isTrue();
    assertThat(apply(registerGroup(2_000, "workers", "audit", "orders")).isOk()).isTrue();
    assertThat(machine.state().getGroupsList()).singleElement().satisfies(g -> {
      assertThat(g.getTopicsList()).containsExactly("audit", "orders");
      assertThat(g.getCreatedAtMs()).as("kept from the first registration").isEqualTo(1_000);
    });
    assertRefused(apply(registerGroup(3_000, "a b", "orders")), ErrorCode.INVALID_GROUP_NAME, "group name 'a b'");

    assertThat(apply(MetadataCommand.newBuilder().setDeleteGroup(DeleteGroup.newBuilder().setName("workers")).build())
        .isOk()).isTrue();
    assertThat(machine.state().getGroupsList()).isEmpty();
    assertRefused(apply(MetadataCommand.newBuilder().setDeleteGroup(DeleteGroup.newBuilder().setName("workers")).build()),
        ErrorCode.UNKNOWN_GROUP, "workers");
  }

  @Test
  void aQueueGroupIsCreatedOnceOnAnExistingTopicWithAValidPolicy() {
    apply(create("jobs", 2, 1));
    QueuePolicy policy = QueuePolicy.newBuilder().setMaxDeliveries(5).setLeaseMs(30_000).setMaxLeased(10).setMaxUnfinished(100).build();
    assertThat(apply(createQueue("q", "jobs", policy)).isOk()).isTrue();
    assertThat(machine.state().getGroupsList()).singleElement().satisfies(g -> {
      assertThat(g.getTopicsList()).containsExactly("jobs");
      assertThat(g.getQueue().getPolicy()).isEqualTo(policy);
    });
    assertRefused(apply(createQueue("q", "jobs", policy)), ErrorCode.GROUP_ALREADY_EXISTS, "'q'");
    assertRefused(apply(registerGroup(1, "q", "jobs")), ErrorCode.GROUP_ALREADY_EXISTS, "queue group");
    assertRefused(apply(createQueue("r", "nope", policy)), ErrorCode.UNKNOWN_TOPIC, "nope");
    assertRefused(apply(createQueue("r", "jobs", policy.toBuilder().setLeaseMs(0).build())), ErrorCode.INVALID_REQUEST, "lease");
    apply(registerGroup(1, "s", "jobs"));
    assertRefused(apply(createQueue("s", "jobs", policy)), ErrorCode.GROUP_ALREADY_EXISTS, "'s'");
  }

  private static MetadataCommand createQueue(String name, String topic, QueuePolicy policy) {
    return MetadataCommand.newBuilder()
        .setCreateQueueGroup(CreateQueueGroup.newBuilder().setName(name).setTopic(topic).setPolicy(policy))
        .build();
  }

  @Test
  void theFeatureLevelOnlyRises() {
    apply(MetadataCommand.newBuilder().setFinalizeFeatures(FinalizeFeatures.newBuilder().setLevel(2)).build());
    apply(MetadataCommand.newBuilder().setFinalizeFeatures(FinalizeFeatures.newBuilder().setLevel(1)).build());
    assertThat(machine.state().getFinalizedFeatureLevel()).isEqualTo(2);
    assertThat(new MetadataView(machine.state()).hasFeature(FeatureLevel.STREAM_GROUPS)).isTrue();
    assertThat(new MetadataStateMachine(machine.state()).state()).as("kept across a snapshot").isEqualTo(machine.state());
  }

  @Test
  void resetReplacesEverything() {
    apply(create("a", 1, 1));
    MetadataState empty = MetadataState.newBuilder().setAppliedIndex(100).build();

    machine.reset(empty);

    assertThat(machine.state().getTopicsList()).isEmpty();
    assertThat(machine.state().getNodesList()).isEmpty();
    assertThat(machine.state().getNextTopicId()).isEqualTo(1);
    assertThat(machine.isApplied(100)).isTrue();
  }

  @Test
  void aTopicKeepsTheSettingsItWasCreatedWithUntilTheyAreReplaced() {
    apply(register(1, 2, 3));
    TopicConfig week = TopicConfig.newBuilder().setRetentionMs(604_800_000).build();
    MetadataCommand create = create("orders", 1, 3);
    apply(create.toBuilder().setCreateTopic(create.getCreateTopic().toBuilder().setConfig(week)).build());
    long id = new MetadataView(machine.state()).topic("orders").orElseThrow().getTopicId();

    MetadataResult changed = apply(setConfig(id, TopicConfig.newBuilder().setRetentionBytes(1 << 30).build()));

    assertThat(changed.isOk()).isTrue();
    TopicConfig now = new MetadataView(machine.state()).topic("orders").orElseThrow().getConfig();
    assertThat(now.hasRetentionMs()).isFalse();
    assertThat(now.getRetentionBytes()).isEqualTo(1 << 30);
  }

  @Test
  void settingsOutOfRangeAreRefusedAndChangeNothing() {
    apply(register(1, 2, 3));
    MetadataCommand create = create("orders", 1, 3);
    TopicConfig zero = TopicConfig.newBuilder().setRetentionMs(0).build();

    assertRefused(
        apply(create.toBuilder().setCreateTopic(create.getCreateTopic().toBuilder().setConfig(zero)).build()),
        ErrorCode.INVALID_CONFIG, "retention.ms must be positive");
    apply(create);
    long id = new MetadataView(machine.state()).topic("orders").orElseThrow().getTopicId();
    assertRefused(
        apply(setConfig(id, TopicConfig.newBuilder().setRetentionBytes(-2).build())), ErrorCode.INVALID_CONFIG, "retention.bytes");
    assertRefused(apply(setConfig(id + 1, TopicConfig.getDefaultInstance())), ErrorCode.UNKNOWN_TOPIC, "does not exist");
    assertThat(new MetadataView(machine.state()).topic("orders").orElseThrow().getConfig()).isEqualTo(TopicConfig.getDefaultInstance());
  }

  @Test
  void aCompactedTopicHasNoQueueGroupsAndATopicWithOneIsNotCompacted() {
    apply(register(1, 2, 3));
    TopicConfig compact = TopicConfig.newBuilder().setCleanupPolicy(CleanupPolicy.CLEANUP_POLICY_COMPACT).build();
    MetadataCommand changelog = create("changelog", 1, 3);
    apply(changelog.toBuilder().setCreateTopic(changelog.getCreateTopic().toBuilder().setConfig(compact)).build());
    apply(create("jobs", 1, 3));
    QueuePolicy policy = QueuePolicy.newBuilder().setMaxDeliveries(5).setLeaseMs(30_000).setMaxLeased(10).setMaxUnfinished(100).build();

    assertRefused(apply(createQueue("q", "changelog", policy)), ErrorCode.INVALID_REQUEST, "is compacted");
    assertThat(apply(createQueue("q", "jobs", policy)).isOk()).isTrue();
    long jobs = new MetadataView(machine.state()).topic("jobs").orElseThrow().getTopicId();
    assertRefused(apply(setConfig(jobs, compact)), ErrorCode.INVALID_CONFIG, "queue group 'q' reads topic 'jobs'");
    assertThat(apply(setConfig(jobs, TopicConfig.newBuilder().setRetentionMs(1_000).build())).isOk()).isTrue();
    long changelogId = new MetadataView(machine.state()).topic("changelog").orElseThrow().getTopicId();
    assertRefused(apply(setConfig(changelogId, TopicConfig.getDefaultInstance())), ErrorCode.INVALID_CONFIG, "never delete alone");
    assertThat(apply(setConfig(changelogId, TopicConfig.newBuilder()
        .setCleanupPolicy(CleanupPolicy.CLEANUP_POLICY_COMPACT_DELETE).build())).isOk()).isTrue();
  }

  @Test
  void nodesRacksAreRecordedForRegisteredNodesOnly() {
    apply(register(1, 2));

    apply(MetadataCommand.newBuilder().setSetNodeRacks(SetNodeRacks.newBuilder().putRacks(1, "eu-1a").putRacks(9, "eu-1b")).build());

    assertThat(new MetadataView(machine.state()).racks()).containsExactly(Map.entry(1, "eu-1a"));
    assertThat(new MetadataView(machine.state()).node(9)).isEmpty();
  }

  @Test
  void usersAreCreatedReplacedAndDeletedWithTheirCredentialsOnly() {
    ScramCredential first = Scram.credential("first".toCharArray(), Scram.DEFAULT_ITERATIONS);
    ScramCredential second = Scram.credential("second".toCharArray(), Scram.DEFAULT_ITERATIONS);

    assertThat(apply(upsertUserAt(1_000, "alice", first)).isOk()).isTrue();
    assertThat(apply(upsertUserAt(2_000, "alice", second)).isOk()).isTrue();

    UserRecord alice = new MetadataView(new MetadataStateMachine(machine.state()).state()).user("alice").orElseThrow();
    assertThat(alice.getCredential()).isEqualTo(second);
    assertThat(alice.getUpdatedAtMs()).isEqualTo(2_000);
    assertThat(apply(MetadataCommand.newBuilder().setDeleteUser(DeleteUser.newBuilder().setName("alice")).build()).isOk()).isTrue();
    assertThat(new MetadataView(machine.state()).user("alice")).isEmpty();
    assertRefused(apply(MetadataCommand.newBuilder().setDeleteUser(DeleteUser.newBuilder().setName("alice")).build()),
        ErrorCode.UNKNOWN_USER, "'alice' does not exist");
  }

  @Test
  void badUserNamesAndCredentialsAreRefused() {
    ScramCredential good = Scram.credential("pw".toCharArray(), Scram.DEFAULT_ITERATIONS);

    assertRefused(apply(upsertUserAt(1, "a:b", good)), ErrorCode.INVALID_USER, "may contain only");
    assertRefused(apply(upsertUserAt(1, "CN=admin", good)), ErrorCode.INVALID_USER, "may contain only");
    assertRefused(apply(upsertUserAt(1, "bob", good.toBuilder().setIterations(100).build())), ErrorCode.INVALID_USER, "iterations");
    assertRefused(apply(upsertUserAt(1, "bob", good.toBuilder().clearSalt().build())), ErrorCode.INVALID_USER, "salt");
    assertRefused(apply(upsertUserAt(1, "bob", good.toBuilder().clearStoredKey().build())), ErrorCode.INVALID_USER, "keys");
    assertThat(machine.state().getUsersList()).isEmpty();
  }

  @Test
  void aclsAreAddedOnceRemovedByEqualityAndKeptInOrderAcrossASnapshot() {
    Acl produce = acl("User:bob", AclOperation.PRODUCE);
    Acl consume = acl("User:bob", AclOperation.CONSUME);

    assertThat(apply(MetadataCommand.newBuilder().setAddAcls(AddAcls.newBuilder().addAcls(produce).addAcls(consume).addAcls(produce)).build())
        .isOk()).isTrue();
    assertThat(apply(MetadataCommand.newBuilder().setAddAcls(AddAcls.newBuilder().addAcls(produce)).build()).isOk()).isTrue();
    assertThat(new MetadataStateMachine(machine.state()).state().getAclsList()).containsExactly(produce, consume);

    assertRefused(apply(MetadataCommand.newBuilder().setAddAcls(AddAcls.newBuilder().addAcls(acl("User:carol", AclOperation.PRODUCE))
        .addAcls(acl("carol", AclOperation.PRODUCE))).build()), ErrorCode.INVALID_ACL, "not User:NAME");
    assertThat(machine.state().getAclsList()).as("a refused command adds none of its ACLs").hasSize(2);

    MetadataResult removed = apply(MetadataCommand.newBuilder()
        .setRemoveAcls(RemoveAcls.newBuilder().addAcls(produce).addAcls(acl("User:bob", AclOperation.DELETE))).build());
    assertThat(removed.changed()).isEqualTo(1);
    assertThat(machine.state().getAclsList()).containsExactly(consume);
  }

  private static Acl acl(String principal, AclOperation operation) {
    return Acl.newBuilder().setPrincipal(principal).setResourceType(ResourceType.TOPIC).setResourceName("orders")
        .setPatternType(PatternType.LITERAL).setOperation(operation).setPermission(AclPermission.ALLOW).build();
  }

  private static MetadataCommand upsertUserAt(long timestampMs, String name, ScramCredential credential) {
    return MetadataCommand.newBuilder()
        .setTimestampMs(timestampMs)
        .setUpsertUser(UpsertUser.newBuilder().setName(name).setCredential(credential))
        .build();
  }

  private static MetadataCommand setConfig(long topicId, TopicConfig config) {
    return MetadataCommand.newBuilder().setSetTopicConfig(SetTopicConfig.newBuilder().setTopicId(topicId).setConfig(config)).build();
  }

  /** Partitions for the topic named {@code topic} as it is now (the first topic created has id 1). */
  private MetadataCommand addPartitions(String topic, PartitionPlacement... placements) {
    long id = new MetadataView(machine.state()).topic(topic).map(TopicRecord::getTopicId).orElse(0L);
    return MetadataCommand.newBuilder()
        .setAddPartitions(AddPartitions.newBuilder().setTopic(topic).setTopicId(id).addAllPartitions(Arrays.asList(placements)))
        .build();
  }

  private MetadataResult apply(MetadataCommand command) {
    return machine.apply(++index, command);
  }

  private static void assertRefused(MetadataResult result, ErrorCode code, String messagePart) {
    assertThat(result.isOk()).isFalse();
    assertThat(result.error()).isEqualTo(code);
    assertThat(result.message()).contains(messagePart);
    assertThat(result.topic()).isNull();
  }

  private static MetadataCommand register(int... ids) {
    RegisterNodes.Builder nodes = RegisterNodes.newBuilder();
    Arrays.stream(ids).forEach(id -> nodes.addNodes(node(id)));
    return MetadataCommand.newBuilder().setRegisterNodes(nodes).build();
  }

  private static NodeInfo node(int id) {
    return NodeInfo.newBuilder()
        .setNodeId(id)
        .setRaftAddress("10.0.0." + id + ":9201")
        .setClientAddress("10.0.0." + id + ":9101")
        .build();
  }

  /** A create of {@code partitions} partitions with {@code rf} replicas each, placed on nodes 1, 2, 3. */
  private static MetadataCommand create(String name, int partitions, int rf) {
    return createOn(name, partitions, rf, 1, 2, 3);
  }

  private static MetadataCommand createAt(long timestampMs, String name, int partitions, int rf) {
    return createOn(name, partitions, rf, 1, 2, 3).toBuilder().setTimestampMs(timestampMs).build();
  }

  /**
   * A create whose partition p has the replicas {@code ring[p], ring[p+1], ...}, round-robin;
   * a ring shorter than {@code rf} repeats nodes within a partition.
   */
  private static MetadataCommand createOn(String name, int partitions, int rf, int... ring) {
    CreateTopic.Builder create = CreateTopic.newBuilder().setName(name).setReplicationFactor(rf);
    for (int p = 0; p < partitions; p++) {
      int[] replicas = new int[rf];
      for (int r = 0; r < rf; r++) {
        replicas[r] = ring[(p + r) % ring.length];
      }
      create.addPartitions(placement(p, replicas));
    }
    return MetadataCommand.newBuilder().setCreateTopic(create).build();
  }

  private static MetadataCommand command(CreateTopic.Builder create) {
    return MetadataCommand.newBuilder().setCreateTopic(create).build();
  }

  private static PartitionPlacement placement(int partition, int... replicas) {
    PartitionPlacement.Builder p = PartitionPlacement.newBuilder().setPartition(partition);
    Arrays.stream(replicas).forEach(p::addReplicas);
    return p.build();
  }

  private static MetadataCommand delete(String name) {
    return MetadataCommand.newBuilder().setDeleteTopic(DeleteTopic.newBuilder().setName(name)).build();
  }
}
