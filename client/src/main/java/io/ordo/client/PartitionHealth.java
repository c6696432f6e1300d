package io.ordo.client;

import java.util.List;

/**
 * How many partitions the cluster has, and which of them are unhealthy.
 *
 * @param partitions partitions of all topics
 * @param unhealthy the {@link PartitionInfo#leaderless leaderless} partitions, then the {@link
 *     PartitionInfo#underReplicated under-replicated} ones, each topic's in partition order
 */
public record PartitionHealth(int partitions, List<UnhealthyPartition> unhealthy) {
  /** An unhealthy partition of {@code topic}. */
  public record UnhealthyPartition(String topic, PartitionInfo partition) {}

  /** How many partitions have no leader. */
  public long leaderless() {
    return unhealthy.stream().filter(u -> u.partition().leaderless()).count();
  }

  /** How many partitions are led but under-replicated. */
  public long underReplicated() {
    return unhealthy.stream().filter(u -> u.partition().underReplicated()).count();
  }
}
