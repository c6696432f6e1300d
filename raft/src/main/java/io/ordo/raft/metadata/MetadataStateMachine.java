package io.ordo.raft.metadata;

import io.ordo.proto.raft.v1.CreateTopic;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.MetadataState;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.protocol.Limits;
import io.ordo.protocol.TopicNames;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The deterministic core of the metadata group: applies commands to nodes and topics. Reads only
 * the command and its own state; checks again everything the proposer checked, because two
 * proposals can race (two creates of one name: the second is refused here).
 */
public final class MetadataStateMachine {
  private long appliedIndex;
  private long nextTopicId;
  private final Map<Integer, NodeInfo> nodes = new TreeMap<>();
  private final Map<String, TopicRecord> topics = new TreeMap<>();

  public MetadataStateMachine(MetadataState initial) {
    reset(initial);
  }

  public void reset(MetadataState state) {
    appliedIndex = state.getAppliedIndex();
    nextTopicId = Math.max(1, state.getNextTopicId());
    nodes.clear();
    topics.clear();
    state.getNodesList().forEach(n -> nodes.put(n.getNodeId(), n));
    state.getTopicsList().forEach(t -> topics.put(t.getName(), t));
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
          nodes.put(n.getNodeId(), n);
        }
        return MetadataResult.ok(null);
      case CREATE_TOPIC:
        return createTopic(command.getCreateTopic(), command.getTimestampMs());
      case DELETE_TOPIC:
        String name = command.getDeleteTopic().getName();
        if (topics.remove(name) == null) {
          return MetadataResult.refused(ErrorCode.UNKNOWN_TOPIC, "topic '" + name + "' does not exist");
        }
        return MetadataResult.ok(null);
      default:
        throw new IllegalStateException("unknown metadata command " + command.getOpCase() + " at index " + index);
    }
  }

  private MetadataResult createTopic(CreateTopic create, long timestampMs) {
    String problem = TopicNames.problemWith(create.getName());
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
    for (int i = 0; i < create.getPartitionsCount(); i++) {
      PartitionPlacement p = create.getPartitions(i);
      Set<Integer> distinct = new HashSet<>(p.getReplicasList());
      if (p.getPartition() != i
          || p.getReplicasCount() != create.getReplicationFactor()
          || distinct.size() != p.getReplicasCount()
          || !nodes.keySet().containsAll(distinct)) {
        return MetadataResult.refused(
            ErrorCode.INVALID_REPLICATION_FACTOR, "placement of partition " + i + " is not valid: " + p.getReplicasList());
      }
    }
    TopicRecord topic =
        TopicRecord.newBuilder()
            .setTopicId(nextTopicId++)
            .setName(create.getName())
            .setReplicationFactor(create.getReplicationFactor())
            .addAllPartitions(create.getPartitionsList())
            .setCreatedAtMs(timestampMs)
            .build();
    topics.put(topic.getName(), topic);
    return MetadataResult.ok(topic);
  }

  public MetadataState state() {
    return MetadataState.newBuilder()
        .setAppliedIndex(appliedIndex)
        .setNextTopicId(nextTopicId)
        .addAllNodes(nodes.values())
        .addAllTopics(topics.values())
        .build();
  }
}
