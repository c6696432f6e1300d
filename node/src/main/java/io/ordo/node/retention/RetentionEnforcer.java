package io.ordo.node.retention;

import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.GroupRecord;
import io.ordo.proto.raft.v1.TopicConfig;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.raft.metadata.FeatureLevel;
import io.ordo.raft.compaction.CompactionSettings;
import io.ordo.raft.metadata.MetadataView;
import io.ordo.raft.metadata.TopicConfigs;
import io.ordo.raft.partition.PartitionReplica;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * Applies each topic's retention.ms and retention.bytes (the node's defaults where the topic sets
 * neither) to the partitions this node leads: each leader proposes deleting its oldest batches
 * ({@link PartitionReplica#applyRetention}), so the start offset moves as a replicated op and every
 * replica deletes the same records. Compacted topics (cleanup.policy compact) are compacted
 * instead, or as well (compact,delete): {@link PartitionReplica#compact}.
 *
 * <p>A queue group takes its place in a partition when its first consumer comes (ConfigureQueue);
 * until then the partition keeps every record, which the group may still need.
 */
public final class RetentionEnforcer {
  private final Router router;
  private final long defaultRetentionMs;
  private final long defaultRetentionBytes;
  /** Plans compaction passes, one at a time for the whole node: a pass reads a partition's log. */
  private final Executor compactor;

  public RetentionEnforcer(Router router, long defaultRetentionMs, long defaultRetentionBytes, Executor compactor) {
    this.router = router;
    this.compactor = compactor;
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
      if (config == null || !replica.isLeader() || !queueGroupsInPlace(replica, queueGroups)) {
        continue;
      }
      if (TopicConfigs.deletes(config)) {
        replica.applyRetention(
            config.hasRetentionMs() ? config.getRetentionMs() : defaultRetentionMs,
            config.hasRetentionBytes() ? config.getRetentionBytes() : defaultRetentionBytes);
      }
      if (TopicConfigs.compacted(config) && view.hasFeature(FeatureLevel.COMPACTION)) {
        replica.compact(compactionSettings(config), compactor);
      }
    }
  }

  private static CompactionSettings compactionSettings(TopicConfig config) {
    return new CompactionSettings(
        config.hasDeleteRetentionMs() ? config.getDeleteRetentionMs() : TopicConfigs.DEFAULT_DELETE_RETENTION_MS,
        config.hasMinCompactionLagMs() ? config.getMinCompactionLagMs() : TopicConfigs.DEFAULT_MIN_COMPACTION_LAG_MS,
        config.hasMinCleanableDirtyRatio() ? config.getMinCleanableDirtyRatio() : TopicConfigs.DEFAULT_MIN_CLEANABLE_DIRTY_RATIO);
  }

  /** Whether every queue group reading the replica's topic has its place in the partition. */
  private static boolean queueGroupsInPlace(PartitionReplica replica, Map<Long, List<String>> queueGroups) {
    return replica.queueSummaries().keySet().containsAll(queueGroups.getOrDefault(replica.id().topicId(), List.of()));
  }
}
