package io.ordo.client;

import io.ordo.proto.v1.QueuePolicy;
import java.util.List;

/**
 * A queue group: its topic, its policy (defaults filled in) and, per partition, where it stands.
 *
 * @param fromLatest whether the group started at each partition's end rather than its start
 */
public record QueueGroupInfo(String name, String topic, QueuePolicy policy, boolean fromLatest, List<Partition> partitions) {
  /**
   * The group in one partition, as the partition's leader last applied it.
   *
   * @param known false until a consumer first receives from the partition (all counts 0 then)
   * @param floor every record below it is done
   * @param cursor records from it on were never delivered
   * @param inFlight records leased to consumers now
   * @param waiting records waiting for a retry
   * @param blocked key-ordered groups: records waiting behind an earlier record of their key
   * @param dead records dead-lettered and not redriven
   * @param acked records acked since the group came to the partition
   * @param redelivered deliveries after a record's first
   * @param deadLettered records dead-lettered since the group came to the partition
   * @param unexported dead letters not yet exported to the policy's dead-letter topic
   */
  public record Partition(
      int partition,
      boolean known,
      long floor,
      long cursor,
      long endOffset,
      long inFlight,
      long waiting,
      long blocked,
      long dead,
      long acked,
      long redelivered,
      long deadLettered,
      long unexported) {
    /** Records not yet delivered once. */
    public long backlog() {
      return Math.max(0, endOffset - cursor);
    }
  }
}
