package io.ordo.client;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A committed record as read from a partition. Its arrays are its own; like every record class
 * holding arrays, {@code equals} compares them by identity.
 *
 * @param topic the topic
 * @param partition the partition
 * @param offset the record's offset
 * @param timestampMs the commit time of the record's batch by the partition leader's clock
 * @param key the key, or null when the record has none
 * @param value the value (may be empty), or null for a tombstone: the record deletes its key
 *     (see {@link ProducerRecord#tombstone})
 * @param headers the headers, in the order they were sent
 */
public record ConsumerRecord(
    String topic,
    int partition,
    long offset,
    long timestampMs,
    byte[] key,
    byte[] value,
    List<Header> headers) {

  /** The value decoded as UTF-8, malformed input replaced; null for a tombstone. */
  public String valueAsString() {
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }

  /** Whether the record is a tombstone: it deletes its key. */
  public boolean isTombstone() {
    return value == null;
  }

  /** The key decoded as UTF-8, or null when the record has none. */
  public String keyAsString() {
    return key == null ? null : new String(key, StandardCharsets.UTF_8);
  }
}
