package io.ordo.node.retention;

import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.GroupRecord;
import io.ordo.proto.raft.v1.TopicConfig;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.raft.metadata.FeatureLevel;
import io.ordo.raft.metadata.MetadataView;
import io.ordo.raft.partition.PartitionReplica;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies each topic's retention.ms and retention.bytes (the node's defaults where the topic sets
 * neither) to the partitions this node leads: each leader proposes deleting its oldest batches
 * ({@link PartitionReplica#applyRetention}), so the start offset moves as a replicated op and every
 * replica deletes the same records.
 *
 * <p>A queue group takes its place in a partition when its first consumer comes (ConfigureQueue);
 * until then the partition keeps every record, which the group may still need.
 */
public final class RetentionEnforcer {
  private final Router router;
  private final long defaultRetentionMs;
  private final long defaultRetentionBytes;

  public RetentionEnforcer(Router router, long defaultRetentionMs, long defaultRetentionBytes) {
    this.router = router;
    this.defaultRetentionMs = defaultRetentionMs;
    this.defaultRetentionBytes = defaultRetentionBytes;
  }

  /** Has every partition this node leads delete what its topic's retention lets go. */
  public void applyDue() {
    MetadataView view = router.view();
    if (!view.hasFeature(FeatureLevel.RETENTION)) {
      return;
    }
    Map<Long, TopicConfig> configs = new HashMap<>();
    Map<Long, List<String>> queueGroups = new HashMap<>();
    for (TopicRecord topic : view.topics().values()) {
      configs.put(topic.getTopicId(), topic.getConfig());
    }
    for (GroupRecord group : view.groups()) {
      if (group.hasQueue()) {
        view.topic(group.getTopics(0)).ifPresent(
            topic -> queueGroups.computeIfAbsent(topic.getTopicId(), t -> new ArrayList<>()).add(group.getName()));
      }
    }
    for (PartitionReplica replica : router.replicas().replicas()) {
      TopicConfig config = configs.get(replica.id().topicId());
      if (config != null && replica.isLeader() && queueGroupsInPlace(replica, queueGroups)) {
        replica.applyRetention(
            config.hasRetentionMs() ? config.getRetentionMs() : defaultRetentionMs,
            config.hasRetentionBytes() ? config.getRetentionBytes() : defaultRetentionBytes);
      }
    }
  }

  /** Whether every queue group reading the replica's topic has its place in the partition. */
  private static boolean queueGroupsInPlace(PartitionReplica replica, Map<Long, List<String>> queueGroups) {
    return replica.queueSummaries().keySet().containsAll(queueGroups.getOrDefault(replica.id().topicId(), List.of()));
  }
}
