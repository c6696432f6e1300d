package io.ordo.raft.metadata;

import io.ordo.proto.raft.v1.AddAcls;
import io.ordo.proto.raft.v1.AddPartitions;
import io.ordo.proto.raft.v1.AssignStorage;
import io.ordo.proto.raft.v1.CompleteReassignment;
import io.ordo.proto.raft.v1.CreateQueueGroup;
import io.ordo.proto.raft.v1.CreateTopic;
import io.ordo.proto.raft.v1.GroupRecord;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.MetadataState;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.QueueDefinition;
import io.ordo.proto.raft.v1.ReassignPartitions;
import io.ordo.proto.raft.v1.RegisterGroup;
import io.ordo.proto.raft.v1.SetTopicConfig;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.raft.v1.UpsertUser;
import io.ordo.proto.raft.v1.UserRecord;
import io.ordo.proto.v1.Acl;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.protocol.AclRules;
import io.ordo.protocol.Limits;
import io.ordo.protocol.Names;
import io.ordo.protocol.Scram;
import io.ordo.raft.queue.QueueGroups;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The deterministic core of the metadata group: applies commands to nodes, topics, stream groups
 * and the cluster's feature level. Reads only the command and its own state; checks again
 * everything the proposer checked, because two proposals can race (two creates of one name: the
 * second is refused here).
 */
public final class MetadataStateMachine {
  /** Groups (stream and queue) the cluster keeps, at most. */
  public static final int MAX_GROUPS = 100_000;
  /** Users the cluster keeps, at most: every node holds them all in memory. */
  public static final int MAX_USERS = 100_000;

  private long appliedIndex;
  private long nextTopicId;
  private int finalizedFeatureLevel;
  private String clusterId;
  private final Map<Integer, NodeInfo> nodes = new TreeMap<>();
  private final Map<String, TopicRecord> topics = new TreeMap<>();
  private final Map<String, GroupRecord> groups = new TreeMap<>();
  private final Map<String, UserRecord> users = new TreeMap<>();
  private final Set<Acl> acls = new LinkedHashSet<>();

  public MetadataStateMachine(MetadataState initial) {
    reset(initial);
  }

  public void reset(MetadataState state) {
    appliedIndex = state.getAppliedIndex();
    nextTopicId = Math.max(1, state.getNextTopicId());
    finalizedFeatureLevel = state.getFinalizedFeatureLevel();
    clusterId = state.getClusterId();
    nodes.clear();
    topics.clear();
    groups.clear();
    users.clear();
    acls.clear();
    state.getNodesList().forEach(n -> nodes.put(n.getNodeId(), n));
    state.getTopicsList().forEach(t -> topics.put(t.getName(), t));
    state.getGroupsList().forEach(g -> groups.put(g.getName(), g));
    state.getUsersList().forEach(u -> users.put(u.getName(), u));
    acls.addAll(state.getAclsList());
  }

  public boolean isApplied(long index) {
    return index <= appliedIndex;
  }

  public MetadataResult apply(long index, MetadataCommand command) {
    if (isApplied(index)) {
      throw new IllegalStateException("index " + index + " is at or below applied index " + appliedIndex);
    }
    appliedIndex = index;
    switch (command.getOpCase()) {
      case REGISTER_NODES:
        for (NodeInfo n : command.getRegisterNodes().getNodesList()) {
          for (NodeInfo other : nodes.values()) {
            if (other.getNodeId() != n.getNodeId() && other.getRaftAddress().equals(n.getRaftAddress())) {
              return MetadataResult.refused(
                  ErrorCode.INVALID_REQUEST, "Raft address " + n.getRaftAddress() + " belongs to node " + other.getNodeId());
            }
          }
        }
        for (NodeInfo n : command.getRegisterNodes().getNodesList()) {
          NodeInfo registered = nodes.get(n.getNodeId());
          NodeInfo.Builder node = n.toBuilder();
          if (registered != null) {
            // New addresses neither undo a node's leaving nor bring back a storage it lost.
            node.setDecommissioning(registered.getDecommissioning())
                .setIncarnation(registered.getIncarnation())
                .setStorageId(registered.getStorageId());
          }
          nodes.put(n.getNodeId(), node.build());
        }
        return MetadataResult.ok(null);
      case DECOMMISSION_NODE:
        return decommission(command.getDecommissionNode().getNodeId());
      case DEREGISTER_NODE:
        return deregister(command.getDeregisterNode().getNodeId());
      case ASSIGN_STORAGE:
        return assignStorage(command.getAssignStorage());
      case SET_CLUSTER_ID:
        if (clusterId.isEmpty()) {
          clusterId = command.getSetClusterId().getClusterId();
        }
        return MetadataResult.ok(null);
      case CREATE_TOPIC:
        return createTopic(command.getCreateTopic(), command.getTimestampMs());
      case ADD_PARTITIONS:
        return addPartitions(command.getAddPartitions(), command.getTimestampMs());
      case SET_TOPIC_CONFIG:
        return setTopicConfig(command.getSetTopicConfig());
      case SET_NODE_RACKS:
        command.getSetNodeRacks().getRacksMap().forEach((id, rack) -> nodes.computeIfPresent(id, (k, n) -> n.toBuilder().setRack(rack).build()));
        return MetadataResult.ok(null);
      case REASSIGN_PARTITIONS:
        return reassignPartitions(command.getReassignPartitions());
      case COMPLETE_REASSIGNMENT:
        return completeReassignment(command.getCompleteReassignment());
      case DELETE_TOPIC:
        String name = command.getDeleteTopic().getName();
        if (topics.remove(name) == null) {
          return MetadataResult.refused(ErrorCode.UNKNOWN_TOPIC, "topic '" + name + "' does not exist");
        }
        return MetadataResult.ok(null);
      case FINALIZE_FEATURES:
        finalizedFeatureLevel = Math.max(finalizedFeatureLevel, command.getFinalizeFeatures().getLevel());
        return MetadataResult.ok(null);
      case REGISTER_GROUP:
        return registerGroup(command.getRegisterGroup(), command.getTimestampMs());
      case CREATE_QUEUE_GROUP:
        return createQueueGroup(command.getCreateQueueGroup(), command.getTimestampMs());
      case DELETE_GROUP:
        String group = command.getDeleteGroup().getName();
        if (groups.remove(group) == null) {
          return MetadataResult.refused(ErrorCode.UNKNOWN_GROUP, "group '" + group + "' does not exist");
        }
        return MetadataResult.ok(null);
      case UPSERT_USER:
        return upsertUser(command.getUpsertUser(), command.getTimestampMs());
      case DELETE_USER:
        String user = command.getDeleteUser().getName();
        if (users.remove(user) == null) {
          return MetadataResult.refused(ErrorCode.UNKNOWN_USER, "user '" + user + "' does not exist");
        }
        return MetadataResult.ok(null);
      case ADD_ACLS:
        return addAcls(command.getAddAcls());
      case REMOVE_ACLS:
        int removed = 0;
        for (Acl acl : command.getRemoveAcls().getAclsList()) {
          removed += acls.remove(acl) ? 1 : 0;
        }
        return MetadataResult.changed(removed);
      default:
        throw new IllegalStateException("unknown metadata command " + command.getOpCase() + " at index " + index);
    }
  }

  private MetadataResult addAcls(AddAcls add) {
    List<Acl> added = new ArrayList<>();
    for (Acl acl : add.getAclsList()) {
      String problem = AclRules.problemWith(acl);
      if (problem != null) {
        return MetadataResult.refused(ErrorCode.INVALID_ACL, problem);
      }
      if (!acls.contains(acl) && !added.contains(acl)) {
        added.add(acl);
      }
    }
    if (acls.size() + added.size() > AclRules.MAX_ACLS) {
      return MetadataResult.refused(ErrorCode.LIMIT_REACHED, "the cluster keeps " + AclRules.MAX_ACLS + " ACLs at most");
    }
    acls.addAll(added);
    return MetadataResult.ok(null);
  }

  private MetadataResult upsertUser(UpsertUser upsert, long timestampMs) {
    String problem = Names.userProblem(upsert.getName());
    if (problem == null) {
      problem = Scram.problemWith(upsert.getCredential());
    }
    if (problem != null) {
      return MetadataResult.refused(ErrorCode.INVALID_USER, problem);
    }
    if (!users.containsKey(upsert.getName()) && users.size() >= MAX_USERS) {
      return MetadataResult.refused(ErrorCode.LIMIT_REACHED, "the cluster keeps " + MAX_USERS + " users at most");
    }
    users.put(upsert.getName(), UserRecord.newBuilder()
        .setName(upsert.getName())
        .setCredential(upsert.getCredential())
        .setUpdatedAtMs(timestampMs)
        .build());
    return MetadataResult.ok(null);
  }

  private MetadataResult registerGroup(RegisterGroup register, long timestampMs) {
    String problem = Names.groupProblem(register.getName());
    if (problem != null) {
      return MetadataResult.refused(ErrorCode.INVALID_GROUP_NAME, problem);
    }
    GroupRecord current = groups.get(register.getName());
    if (current != null && current.hasQueue()) {
      return MetadataResult.refused(
          ErrorCode.GROUP_ALREADY_EXISTS, "'" + register.getName() + "' is a queue group: stream group members cannot join it");
    }
    if (current == null && groups.size() >= MAX_GROUPS) {
      return MetadataResult.refused(ErrorCode.LIMIT_REACHED, "the cluster keeps " + MAX_GROUPS + " groups at most");
    }
    TreeSet<String> topicNames = new TreeSet<>(register.getTopicsList());
    GroupRecord.Builder updated = GroupRecord.newBuilder().setName(register.getName()).setCreatedAtMs(timestampMs);
    if (current != null) {
      topicNames.addAll(current.getTopicsList());
      updated.setCreatedAtMs(current.getCreatedAtMs());
    }
    groups.put(register.getName(), updated.addAllTopics(topicNames).build());
    return MetadataResult.ok(null);
  }

  private MetadataResult createQueueGroup(CreateQueueGroup create, long timestampMs) {
    String problem = Names.groupProblem(create.getName());
    if (problem != null) {
      return MetadataResult.refused(ErrorCode.INVALID_GROUP_NAME, problem);
    }
    if (groups.containsKey(create.getName())) {
      return MetadataResult.refused(ErrorCode.GROUP_ALREADY_EXISTS, "group '" + create.getName() + "' already exists");
    }
    if (!topics.containsKey(create.getTopic())) {
      return MetadataResult.refused(ErrorCode.UNKNOWN_TOPIC, "topic '" + create.getTopic() + "' does not exist");
    }
    if (TopicConfigs.compacted(topics.get(create.getTopic()).getConfig())) {
      // Compaction removes records a new group starting at the log's start would still deliver.
      return MetadataResult.refused(ErrorCode.INVALID_REQUEST, "topic '" + create.getTopic()
          + "' is compacted (cleanup.policy): a queue group reads a topic whose records are never removed by compaction");
    }
    problem = QueueGroups.policyProblem(create.getPolicy());
    if (problem != null) {
      return MetadataResult.refused(ErrorCode.INVALID_REQUEST, problem);
    }
    if (groups.size() >= MAX_GROUPS) {
      return MetadataResult.refused(ErrorCode.LIMIT_REACHED, "the cluster keeps " + MAX_GROUPS + " groups at most");
    }
    groups.put(create.getName(), GroupRecord.newBuilder()
        .setName(create.getName())
        .addTopics(create.getTopic())
        .setCreatedAtMs(timestampMs)
        .setQueue(QueueDefinition.newBuilder().setPolicy(create.getPolicy()).setStart(create.getStart()))
        .build());
    return MetadataResult.ok(null);
  }

  private MetadataResult createTopic(CreateTopic create, long timestampMs) {
    String problem = Names.topicProblem(create.getName());
    if (problem != null) {
      return MetadataResult.refused(ErrorCode.INVALID_TOPIC_NAME, problem);
    }
    if (topics.containsKey(create.getName())) {
      return MetadataResult.refused(
          ErrorCode.TOPIC_ALREADY_EXISTS, "topic '" + create.getName() + "' already exists");
    }
    if (create.getPartitionsCount() == 0 || create.getPartitionsCount() > Limits.MAX_PARTITIONS) {
      return MetadataResult.refused(
          ErrorCode.INVALID_PARTITION_COUNT, "a topic needs 1 to " + Limits.MAX_PARTITIONS + " partitions");
    }
    if (create.getReplicationFactor() < 1 || create.getReplicationFactor() > Limits.MAX_REPLICATION_FACTOR) {
      return MetadataResult.refused(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          "replication factor must be 1 to " + Limits.MAX_REPLICATION_FACTOR + ", not " + create.getReplicationFactor());
    }
    String badConfig = TopicConfigs.problem(create.getConfig());
    if (badConfig != null) {
      return MetadataResult.refused(ErrorCode.INVALID_CONFIG, badConfig);
    }
    MetadataResult badPlacement = badPlacement(create.getPartitionsList(), 0, create.getReplicationFactor());
    if (badPlacement != null) {
      return badPlacement;
    }
    TopicRecord topic =
        TopicRecord.newBuilder()
            .setTopicId(nextTopicId++)
            .setName(create.getName())
            .setReplicationFactor(create.getReplicationFactor())
            .addAllPartitions(create.getPartitionsList())
            .setCreatedAtMs(timestampMs)
            .setConfig(create.getConfig())
            .build();
    topics.put(topic.getName(), topic);
    return MetadataResult.ok(topic);
  }

  private MetadataResult addPartitions(AddPartitions add, long timestampMs) {
    TopicRecord topic = topics.get(add.getTopic());
    if (topic == null || topic.getTopicId() != add.getTopicId()) {
      return MetadataResult.refused(ErrorCode.UNKNOWN_TOPIC, "topic '" + add.getTopic() + "' does not exist"
          + (topic == null ? "" : " any more (it was deleted and created again)"));
    }
    int total = topic.getPartitionsCount() + add.getPartitionsCount();
    if (add.getPartitionsCount() == 0 || total > Limits.MAX_PARTITIONS) {
      return MetadataResult.refused(
          ErrorCode.INVALID_PARTITION_COUNT,
          "topic '" + topic.getName() + "' has " + topic.getPartitionsCount() + " partitions; it may grow to at most "
              + Limits.MAX_PARTITIONS);
    }
    if (add.getPartitions(0).getPartition() != topic.getPartitionsCount()) {
      return MetadataResult.refused(
          ErrorCode.INVALID_PARTITION_COUNT,
          "topic '" + topic.getName() + "' has " + topic.getPartitionsCount() + " partitions now, not the "
              + add.getPartitions(0).getPartition() + " this change was made for (another changed it meanwhile):"
              + " describe the topic and retry");
    }
    MetadataResult badPlacement = badPlacement(add.getPartitionsList(), topic.getPartitionsCount(), topic.getReplicationFactor());
    if (badPlacement != null) {
      return badPlacement;
    }
    TopicRecord.Builder grown = topic.toBuilder();
    add.getPartitionsList().forEach(p -> grown.addPartitions(p.toBuilder().setAddedAtMs(timestampMs)));
    topics.put(topic.getName(), grown.build());
    return MetadataResult.ok(grown.build());
  }

  private MetadataResult setTopicConfig(SetTopicConfig set) {
    TopicRecord topic = topicById(set.getTopicId());
    if (topic == null) {
      return MetadataResult.refused(ErrorCode.UNKNOWN_TOPIC, "the topic does not exist any more");
    }
    String problem = TopicConfigs.problem(set.getConfig());
    if (problem != null) {
      return MetadataResult.refused(ErrorCode.INVALID_CONFIG, problem);
    }
    if (TopicConfigs.compacted(topic.getConfig()) && !TopicConfigs.compacted(set.getConfig())) {
      // Its log keeps the holes compaction made, which a queue group (allowed again) could not read.
      return MetadataResult.refused(ErrorCode.INVALID_CONFIG, "topic '" + topic.getName()
          + "' is compacted: its cleanup.policy may become compact,delete, never delete alone");
    }
    if (TopicConfigs.compacted(set.getConfig()) && !TopicConfigs.compacted(topic.getConfig())) {
      for (GroupRecord group : groups.values()) {
        if (group.hasQueue() && group.getTopics(0).equals(topic.getName())) {
          return MetadataResult.refused(ErrorCode.INVALID_CONFIG, "queue group '" + group.getName() + "' reads topic '"
              + topic.getName() + "': a topic with queue groups cannot be compacted (delete them first)");
        }
      }
    }
    TopicRecord changed = topic.toBuilder().setConfig(set.getConfig()).build();
    topics.put(topic.getName(), changed);
    return MetadataResult.ok(changed);
  }

  private MetadataResult reassignPartitions(ReassignPartitions reassign) {
    TopicRecord topic = topicById(reassign.getTopicId());
    if (topic == null) {
      return MetadataResult.refused(ErrorCode.UNKNOWN_TOPIC, "the topic does not exist any more");
    }
    TopicRecord.Builder moved = topic.toBuilder();
    Set<Integer> seen = new HashSet<>();
    for (PartitionPlacement target : reassign.getPartitionsList()) {
      int partition = target.getPartition();
      if (partition < 0 || partition >= topic.getPartitionsCount() || !seen.add(partition)) {
        return MetadataResult.refused(
            ErrorCode.INVALID_REQUEST,
            "partition " + partition + " of topic '" + topic.getName() + "' does not exist or is named twice");
      }
      PartitionPlacement current = topic.getPartitions(partition);
      if (current.getTargetReplicasCount() > 0) {
        // A new target now could drop a node the group has already taken in as a voter.
        return MetadataResult.refused(
            ErrorCode.INVALID_REQUEST,
            "partition " + partition + " of topic '" + topic.getName() + "' is moving to " + current.getTargetReplicasList()
                + " already; move it again once that move is done");
      }
      String problem = replicasProblem(target.getTargetReplicasList());
      if (problem != null) {
        return MetadataResult.refused(
            ErrorCode.INVALID_REPLICATION_FACTOR, "replicas " + target.getTargetReplicasList() + " of partition " + partition + ": " + problem);
      }
      moved.getPartitionsBuilder(partition).clearTargetReplicas().addAllTargetReplicas(target.getTargetReplicasList());
    }
    topics.put(topic.getName(), moved.build());
    return MetadataResult.ok(moved.build());
  }

  private MetadataResult completeReassignment(CompleteReassignment complete) {
    TopicRecord topic = topicById(complete.getTopicId());
    if (topic == null
        || complete.getPartition() < 0
        || complete.getPartition() >= topic.getPartitionsCount()
        || !topic.getPartitions(complete.getPartition()).getTargetReplicasList().equals(complete.getReplicasList())) {
      return MetadataResult.refused(ErrorCode.INVALID_REQUEST, "the partition is not moving to " + complete.getReplicasList());
    }
    TopicRecord.Builder moved = topic.toBuilder();
    moved.getPartitionsBuilder(complete.getPartition())
        .clearReplicas()
        .addAllReplicas(complete.getReplicasList())
        .clearTargetReplicas()
        .setMoved(true);
    topics.put(topic.getName(), moved.build());
    return MetadataResult.ok(moved.build());
  }

  private MetadataResult decommission(int nodeId) {
    NodeInfo node = nodes.get(nodeId);
    if (node == null) {
      return MetadataResult.refused(ErrorCode.INVALID_REQUEST, "node " + nodeId + " is not registered (nodes " + nodes.keySet() + ")");
    }
    nodes.put(nodeId, node.toBuilder().setDecommissioning(true).build());
    return MetadataResult.ok(null);
  }

  /**
   * Gives node {@code assign.node_id} a new incarnation for a new data directory, unless it has
   * that one already; every partition placed on it that is not moving gets its replicas as its
   * target, so the metadata leader has each group take in the new incarnation in the old one's
   * place (a moving partition's move does that anyway: the leader names current incarnations).
   */
  private MetadataResult assignStorage(AssignStorage assign) {
    NodeInfo node = nodes.get(assign.getNodeId());
    if (node == null) {
      return MetadataResult.refused(ErrorCode.INVALID_REQUEST, "node " + assign.getNodeId() + " is not registered");
    }
    if (assign.getStorageId().isEmpty()) {
      return MetadataResult.refused(ErrorCode.INVALID_REQUEST, "a storage id is not empty");
    }
    if (node.getStorageId().equals(assign.getStorageId())) {
      return MetadataResult.ok(null);
    }
    NodeInfo renewed = node.toBuilder().setIncarnation(node.getIncarnation() + 1).setStorageId(assign.getStorageId()).build();
    nodes.put(node.getNodeId(), renewed);
    for (TopicRecord topic : List.copyOf(topics.values())) {
      TopicRecord.Builder rejoining = topic.toBuilder();
      for (PartitionPlacement.Builder p : rejoining.getPartitionsBuilderList()) {
        if (p.getReplicasList().contains(node.getNodeId()) && p.getTargetReplicasCount() == 0) {
          p.addAllTargetReplicas(p.getReplicasList());
        }
      }
      topics.put(topic.getName(), rejoining.build());
    }
    return MetadataResult.ok(null);
  }

  private MetadataResult deregister(int nodeId) {
    for (TopicRecord topic : topics.values()) {
      for (PartitionPlacement p : topic.getPartitionsList()) {
        if (p.getReplicasList().contains(nodeId) || p.getTargetReplicasList().contains(nodeId)) {
          return MetadataResult.refused(
              ErrorCode.INVALID_REQUEST,
              "node " + nodeId + " still has a replica of " + topic.getName() + "/" + p.getPartition());
        }
      }
    }
    if (nodes.remove(nodeId) == null) {
      return MetadataResult.refused(ErrorCode.INVALID_REQUEST, "node " + nodeId + " is not registered");
    }
    return MetadataResult.ok(null);
  }

  private TopicRecord topicById(long topicId) {
    return topics.values().stream().filter(t -> t.getTopicId() == topicId).findFirst().orElse(null);
  }

  /** Why {@code replicas} cannot be a partition's replicas (distinct registered nodes, 1 to the maximum); null if they can. */
  private String replicasProblem(List<Integer> replicas) {
    if (replicas.isEmpty() || replicas.size() > Limits.MAX_REPLICATION_FACTOR) {
      return "a partition has 1 to " + Limits.MAX_REPLICATION_FACTOR + " replicas";
    }
    if (new HashSet<>(replicas).size() != replicas.size()) {
      return "a node is named twice";
    }
    for (int node : replicas) {
      if (!nodes.containsKey(node)) {
        return "node " + node + " is not registered (nodes " + nodes.keySet() + ")";
      }
    }
    return null;
  }

  /**
   * Why {@code placements} are not partitions {@code first}, {@code first + 1}, ... each on {@code
   * replicationFactor} distinct registered nodes; null if they are.
   */
  private MetadataResult badPlacement(List<PartitionPlacement> placements, int first, int replicationFactor) {
    for (int i = 0; i < placements.size(); i++) {
      PartitionPlacement p = placements.get(i);
      Set<Integer> distinct = new HashSet<>(p.getReplicasList());
      if (p.getPartition() != first + i
          || p.getReplicasCount() != replicationFactor
          || distinct.size() != p.getReplicasCount()
          || !nodes.keySet().containsAll(distinct)) {
        return MetadataResult.refused(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            "placement of partition " + (first + i) + " is not valid: " + p.getReplicasList());
      }
    }
    return null;
  }

  public MetadataState state() {
    return MetadataState.newBuilder()
        .setAppliedIndex(appliedIndex)
        .setNextTopicId(nextTopicId)
        .addAllNodes(nodes.values())
        .addAllTopics(topics.values())
        .setFinalizedFeatureLevel(finalizedFeatureLevel)
        .addAllGroups(groups.values())
        .setClusterId(clusterId)
        .addAllUsers(users.values())
        .addAllAcls(acls)
        .build();
  }
}
