package io.ordo.client;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * A record to send: its topic, optionally the partition, an optional key, the value and headers.
 *
 * <p>Without a partition, a record with a key goes to the partition the key hashes to (murmur2,
 * as Kafka's default partitioner), so all records of a key keep their order; a record without a
 * key goes to a partition chosen to fill batches: a batch's worth of bytes to one partition, then
 * to the next, round-robin.
 *
 * <p>The producer copies the key, value and header bytes when {@link Producer#send} is called, so
 * the arrays may be reused afterwards.
 *
 * @param topic the topic, never null
 * @param partition the partition, or null to let the producer choose
 * @param key the key, or null for none (an empty key also means none)
 * @param value the value (may be empty), or null for a tombstone, which deletes its key: a
 *     compacted topic keeps only the latest record per key, and removes a tombstone with the
 *     records before it once the topic's delete.retention.ms has passed (Kafka's null value)
 * @param headers the headers, in order; never null
 */
public record ProducerRecord(
    String topic, Integer partition, byte[] key, byte[] value, List<Header> headers) {

  /** Checks the non-null parts and that the partition, when given, is not negative. */
  public ProducerRecord {
    Objects.requireNonNull(topic, "topic");
    if (value == null && (key == null || key.length == 0)) {
      throw new IllegalArgumentException("a tombstone (null value) needs a key");
    }
    headers = List.copyOf(headers);
    if (partition != null && partition < 0) {
      throw new IllegalArgumentException("partition must not be negative: " + partition);
    }
  }

  /** A keyless record. */
  public static ProducerRecord of(String topic, byte[] value) {
    return new ProducerRecord(topic, null, null, value, List.of());
  }

  /** A record with a key, which picks its partition. */
  public static ProducerRecord of(String topic, byte[] key, byte[] value) {
    return new ProducerRecord(topic, null, key, value, List.of());
  }

  /** A tombstone: deletes {@code key} from a compacted topic. */
  public static ProducerRecord tombstone(String topic, byte[] key) {
    return new ProducerRecord(topic, null, key, null, List.of());
  }

  /** A tombstone for a UTF-8 key. */
  public static ProducerRecord tombstone(String topic, String key) {
    return tombstone(topic, key.getBytes(StandardCharsets.UTF_8));
  }

  /** A keyless record with a UTF-8 value. */
  public static ProducerRecord of(String topic, String value) {
    return of(topic, value.getBytes(StandardCharsets.UTF_8));
  }

  /** A record with a UTF-8 key (null for none) and value. */
  public static ProducerRecord of(String topic, String key, String value) {
    return of(
        topic,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8));
  }

  /** This record, sent to {@code partition} instead of a chosen one. */
  public ProducerRecord withPartition(int partition) {
    return new ProducerRecord(topic, partition, key, value, headers);
  }

  /** This record with {@code headers} in place of its own. */
  public ProducerRecord withHeaders(List<Header> headers) {
    return new ProducerRecord(topic, partition, key, value, headers);
  }
}
