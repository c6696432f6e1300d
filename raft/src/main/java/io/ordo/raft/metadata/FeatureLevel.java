package io.ordo.raft.metadata;

/**
 * Cluster feature levels, like Kafka's metadata.version: a leader proposes an op newer than the
 * first version only once the metadata group has finalized a level that has it, and the level is
 * finalized only once every node reported it supports it. So during a rolling upgrade no replica
 * meets an op it cannot apply (it would stop: an unknown op is never skipped).
 */
public final class FeatureLevel {
  /** Stream groups: the partition ops ClaimPartition, CommitOffset, ResetGroupOffset, DeleteGroupOffset. */
  public static final int STREAM_GROUPS = 1;
  /**
   * Queue groups: the metadata command CreateQueueGroup and the partition ops ConfigureQueue,
   * AcquireRecords, SettleRecords, ExpireLeases, RedriveDeadLetters.
   */
  public static final int QUEUE_GROUPS = 2;
  /** Dead letters exported to a topic: the partition op MarkDeadLettersExported. */
  public static final int DEAD_LETTER_EXPORT = 3;
  /** Topics grown after creation: the metadata command AddPartitions. */
  public static final int ADD_PARTITIONS = 4;
  /**
   * Replicas moved between nodes and nodes removed: the metadata commands ReassignPartitions,
   * CompleteReassignment, DecommissionNode and DeregisterNode.
   */
  public static final int MEMBERSHIP = 5;
  /**
   * Data directories with an identity, and nodes that come back with a new one rejoining each
   * group as a new incarnation: the metadata commands AssignStorage and SetClusterId.
   */
  public static final int STORAGE_IDENTITY = 6;
  /** Topic settings and retention: the metadata command SetTopicConfig and the partition op TrimLog. */
  public static final int RETENTION = 7;
  /** Nodes' racks, for rack-aware placement: the metadata command SetNodeRacks. */
  public static final int RACKS = 8;
  /**
   * Compacted topics: the topic settings cleanup.policy, delete.retention.ms, min.compaction.lag.ms
   * and min.cleanable.dirty.ratio, tombstones, and the partition op CompactLog.
   */
  public static final int COMPACTION = 9;
  /** Users with passwords and ACLs: the metadata commands UpsertUser, DeleteUser, AddAcls and RemoveAcls. */
  public static final int SECURITY = 10;
  /** The highest level this version supports. */
  public static final int SUPPORTED = SECURITY;

  private FeatureLevel() {}
}
