package io.ordo.client;

import java.util.List;

/**
 * A stream group: its live members and, per partition of its topics, where it stands.
 *
 * @param generation the coordinator's current generation; 0 when the group has no live member
 * @param queue a queue group: {@link Admin#describeQueueGroup} tells where it stands
 */
public record GroupInfo(
    String name,
    List<String> topics,
    long generation,
    List<Member> members,
    List<PartitionOffset> partitions,
    boolean queue) {
  /** A live member and the partitions it should read. */
  public record Member(String memberId, List<TopicPartition> assigned) {}

  /**
   * One partition: the group's committed offset (the next offset it reads; -1 when it has committed
   * nothing there), the partition's end offset, the records between them (from the partition's
   * start when nothing is committed), and the member that reads it ("" when none).
   */
  public record PartitionOffset(
      String topic, int partition, long committedOffset, long endOffset, long lag, String owner) {}
}
