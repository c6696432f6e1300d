package io.ordo.raft.partition;

import io.ordo.protocol.Limits;

/**
 * A partition of a topic incarnation. Topic ids are never reused, so a topic deleted and created
 * again under the same name gets new partitions, new Raft groups and new storage keys.
 */
public record PartitionId(long topicId, int partition) {
  private static final int PARTITION_BITS = 24;

  public PartitionId {
    if (topicId <= 0 || partition < 0 || partition >= Limits.MAX_PARTITIONS) {
      throw new IllegalArgumentException("bad partition id " + topicId + "/" + partition);
    }
  }

  /** The key prefix of this partition's data in the node's store. */
  public long storageKey() {
    return (topicId << PARTITION_BITS) | partition;
  }

  /** The name of this partition's Raft group. */
  public String groupId() {
    return "p-" + topicId + "-" + partition;
  }

  @Override
  public String toString() {
    return topicId + "/" + partition;
  }
}
