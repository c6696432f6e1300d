package io.ordo.client;

import java.time.Duration;

/**
 * Reads partitions by offset, from their leaders, following leadership changes transparently.
 * Only committed records are ever returned. Offsets may be real offsets or the special values
 * {@link #LATEST} and {@link #EARLIEST}. Thread-safe.
 */
public interface Consumer extends AutoCloseable {
  /** Start at the partition's end: only records committed from now on. */
  long LATEST = -1;
  /** Start at the partition's first readable record. */
  long EARLIEST = -2;

  /**
   * Reads up to {@code maxRecords} records or about {@code maxBytes} bytes from {@code offset} on,
   * waiting up to {@code maxWait} for records to be committed when there are none yet (long
   * polling). Retriable errors are retried at the current leader within the client's request
   * timeout.
   *
   * @param maxRecords at most this many records; 0 for the node's default
   * @param maxBytes at most about this many bytes; 0 for the node's default
   * @throws OffsetOutOfRangeException if {@code offset} is outside the readable range
   * @throws UnknownTopicException if the topic or partition does not exist
   * @throws OrdoException for any other failure, or retriable ones that did not clear in time
   */
  FetchResult fetch(
      String topic, int partition, long offset, int maxRecords, int maxBytes, Duration maxWait);

  /**
   * Streams the partition's records from {@code offset} on into {@code handler}, as they are
   * committed, until the returned subscription is closed or fails.
   */
  Subscription subscribe(String topic, int partition, long offset, RecordHandler handler);

  /** Closes every subscription this consumer opened. */
  @Override
  void close();
}
