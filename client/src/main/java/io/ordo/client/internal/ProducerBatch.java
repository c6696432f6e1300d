package io.ordo.client.internal;

import io.ordo.client.OrdoException;
import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Records of one partition that travel in one produce request, and the futures of their senders.
 * Open while it accepts records (under its {@link PartitionQueue}'s lock), closed once full or
 * taken for sending; after that only the sender thread touches it.
 */
final class ProducerBatch {
  final long createdNanos;
  /** Completes after every record future of the batch has completed; flush waits on it. */
  final CompletableFuture<Void> done = new CompletableFuture<>();

  private final EncodedRecords records = new EncodedRecords();
  private final List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
  private boolean closed;

  // Sender-thread state.
  /** Sent and not answered. */
  boolean inFlight;
  /** Its place among the partition's requests, from its first send; -1 before. */
  long ordinal = -1;
  int attempts;
  OrdoException lastError;
  boolean refreshedAfterNotFound;
  boolean followedLeaderHint;
  /** Some attempt failed in a way that leaves open whether the partition appended the batch. */
  boolean maybeCommitted;
  /** The partition's sequence number of its first record, taken on its first send; -1 before. */
  private long firstSequence = -1;

  ProducerBatch(long createdNanos) {
    this.createdNanos = createdNanos;
  }

  /** Encodes {@code record}, of {@code size} bytes as {@link EncodedRecords#entrySize} gave. */
  void add(ProducerRecord record, int size, CompletableFuture<RecordMetadata> future) {
    if (closed) {
      throw new IllegalStateException("append to a closed batch");
    }
    records.add(record, size);
    futures.add(future);
  }

  int bytes() {
    return records.bytes();
  }

  int recordCount() {
    return records.count();
  }

  boolean isClosed() {
    return closed;
  }

  void close() {
    closed = true;
  }

  /**
   * Adds the batch's request to {@code call}. Its sequence numbers are taken on the first attempt
   * and kept by every retry: a retry must carry them for the partition to recognise it. With {@code
   * producerId} 0 the request is not idempotent; {@code followsPrevious} marks one sent behind
   * another in flight.
   */
  void addRequest(EncodedProduceMany call, PartitionQueue queue, long producerId, boolean followsPrevious) {
    if (firstSequence < 0) {
      firstSequence = producerId == 0 ? 0 : queue.takeSequences(records.count());
    }
    call.add(queue.topic, queue.partition, producerId, firstSequence, followsPrevious && producerId != 0, records);
  }

  /** Acknowledges record {@code i} at offset {@code baseOffset + i}. */
  void complete(String topic, int partition, long baseOffset, long timestampMs) {
    for (int i = 0; i < futures.size(); i++) {
      futures.get(i).complete(new RecordMetadata(topic, partition, baseOffset + i, timestampMs));
    }
    done.complete(null);
  }

  void fail(OrdoException error) {
    for (CompletableFuture<RecordMetadata> future : futures) {
      future.completeExceptionally(error);
    }
    done.complete(null);
  }
}
