package io.ordo.client.internal;

import io.ordo.client.OrdoException;
import io.ordo.client.RecordMetadata;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.Record;
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

  private final List<Record> records = new ArrayList<>();
  private final List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
  private int bytes;
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
  private ProduceRequest request;

  ProducerBatch(long createdNanos) {
    this.createdNanos = createdNanos;
  }

  void add(Record record, int size, CompletableFuture<RecordMetadata> future) {
    if (closed) {
      throw new IllegalStateException("append to a closed batch");
    }
    records.add(record);
    futures.add(future);
    bytes += size;
  }

  int bytes() {
    return bytes;
  }

  int recordCount() {
    return records.size();
  }

  boolean isClosed() {
    return closed;
  }

  void close() {
    closed = true;
  }

  /**
   * The request, built once on the first attempt and reused by every retry: a retry must carry
   * the same sequence numbers for the partition to recognise it. With {@code producerId} 0 the
   * request is not idempotent; {@code followsPrevious} marks one sent behind another in flight.
   */
  ProduceRequest request(PartitionQueue queue, long producerId, boolean followsPrevious) {
    if (request == null) {
      ProduceRequest.Builder builder =
          ProduceRequest.newBuilder().setTopic(queue.topic).setPartition(queue.partition).addAllRecords(records);
      if (producerId != 0) {
        builder.setProducerId(producerId).setFirstSequence(queue.takeSequences(records.size()));
      }
      request = builder.build();
    }
    followsPrevious &= producerId != 0;
    return request.getFollowsPrevious() == followsPrevious
        ? request
        : request.toBuilder().setFollowsPrevious(followsPrevious).build();
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
