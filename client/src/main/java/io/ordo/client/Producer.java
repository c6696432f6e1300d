package io.ordo.client;

import java.util.concurrent.CompletableFuture;

/**
 * Sends records to partition leaders in batches, retrying what may succeed on a retry.
 *
 * <p>Guarantees: records sent to one partition from one thread are written in the order they
 * were sent, even across retries (only one request per partition is in flight). A record is
 * acknowledged once it is committed on a majority of the partition's replicas. Delivery is at
 * least once: when a leader fails mid-request the outcome is unknown and the retry may write the
 * batch a second time.
 *
 * <p>Producers are thread-safe. The futures complete on the producer's sender thread, so
 * callbacks attached to them must be quick and must not block.
 */
public interface Producer extends AutoCloseable {
  /**
   * Queues {@code record} to be sent and returns a future that completes with where it was
   * written, or fails with an {@link OrdoException}: {@link UnknownTopicException} for a topic or
   * partition that does not exist, an error with code {@code RECORD_TOO_LARGE} for a record above
   * {@link ProducerConfig#maxRecordBytes()}, a retriable error once {@link
   * ProducerConfig#deliveryTimeout()} has passed without success.
   *
   * <p>Blocks while the producer holds {@link ProducerConfig#maxBufferedBytes()} of unacknowledged
   * records, and while it looks up the topic the first time; after {@link
   * ProducerConfig#maxBlock()} the future fails instead.
   *
   * @throws IllegalStateException if the producer is closed
   */
  CompletableFuture<RecordMetadata> send(ProducerRecord record);

  /**
   * Sends every record queued so far without waiting for its linger time, and waits until each
   * has been acknowledged or has failed.
   */
  void flush();

  /**
   * Flushes, then stops the sender thread. Records sent concurrently with close may fail with
   * {@link IllegalStateException}.
   */
  @Override
  void close();
}
