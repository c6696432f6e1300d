package io.ordo.client.internal;

import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The batches of one partition waiting to be acknowledged, oldest first. The first few may be in
 * flight, sent in order; only the tail may be open. Senders append under this object's lock; the
 * sender thread sends, retries and removes batches. After a failure nothing more is sent until
 * every request in flight is answered, and then the oldest unacknowledged batch goes first: that
 * is what keeps the partition's records in order across retries.
 */
final class PartitionQueue {
  /** {@link #append} started a new batch. */
  static final int NEW_BATCH = 1;
  /** {@link #append} closed a full batch. */
  static final int BATCH_FULL = 2;

  final String topic;
  final int partition;

  private final ArrayDeque<ProducerBatch> batches = new ArrayDeque<>();

  // Sender-thread state.
  /** The sequence number of this partition's next record, for an idempotent producer. */
  private long nextSequence;
  /** Requests sent and not answered. */
  int inFlight;
  /** Batches sent so far (a retry counts once): the ordinal of the next new one. */
  private long batchesSent;
  /** A request failed: send nothing until the others in flight are answered, then resend in order. */
  boolean resending;
  boolean awaitingMetadata;
  long retryAtNanos;
  /** The number of the last call a batch of this queue joined (see BatchingProducer.Call). */
  long lastCall;

  PartitionQueue(String topic, int partition) {
    this.topic = topic;
    this.partition = partition;
  }

  /** Reserves {@code count} sequence numbers; returns the first. Sender thread only. */
  long takeSequences(int count) {
    long first = nextSequence;
    nextSequence += count;
    return first;
  }

  /**
   * Encodes a record into the open batch, opening one when needed; returns NEW_BATCH | BATCH_FULL.
   * {@code size} is its encoded size ({@link EncodedRecords#entrySize}).
   */
  synchronized int append(
      ProducerRecord record,
      int size,
      CompletableFuture<RecordMetadata> future,
      long nowNanos,
      int batchBytes) {
    int result = 0;
    ProducerBatch open = batches.peekLast();
    if (open != null && !open.isClosed() && open.bytes() + size > batchBytes) {
      open.close();
      result |= BATCH_FULL;
    }
    if (open == null || open.isClosed()) {
      open = new ProducerBatch(nowNanos);
      batches.addLast(open);
      result |= NEW_BATCH;
    }
    open.add(record, size, future);
    if (open.bytes() >= batchBytes) {
      open.close();
      result |= BATCH_FULL;
    }
    return result;
  }

  /**
   * The oldest batch not in flight if it may be sent now: it is closed, or has lingered long
   * enough, or {@code urgent} (flush or close) says not to wait. Closes it, so it takes no more
   * records.
   */
  synchronized ProducerBatch nextToSend(long nowNanos, long lingerNanos, boolean urgent) {
    ProducerBatch next = firstNotInFlight();
    if (next == null) {
      return null;
    }
    if (!next.isClosed()) {
      if (!urgent && nowNanos - next.createdNanos < lingerNanos) {
        return null;
      }
      next.close();
    }
    return next;
  }

  /**
   * Whether {@code batch} may be sent while at most {@code window} requests of the partition
   * reach from the oldest unacknowledged batch (the head) to it. The partition recognises a retry
   * only among the producer's last few appends, so a request must not go out that far ahead of one
   * that may still need resending, even when every request between them was acknowledged.
   * Numbers the batch on its first send. Sender thread only.
   */
  synchronized boolean mayGo(ProducerBatch batch, int window) {
    long ordinal = batch.ordinal >= 0 ? batch.ordinal : batchesSent;
    ProducerBatch head = batches.peekFirst();
    if (head != batch && head.ordinal >= 0 && ordinal - head.ordinal >= window) {
      return false;
    }
    if (batch.ordinal < 0) {
      batch.ordinal = batchesSent++;
    }
    return true;
  }

  /** When the open batch next to send ends its linger, or {@code Long.MAX_VALUE} if there is none. */
  synchronized long lingerDeadline(long lingerNanos) {
    ProducerBatch next = firstNotInFlight();
    return next == null || next.isClosed() ? Long.MAX_VALUE : next.createdNanos + lingerNanos;
  }

  private ProducerBatch firstNotInFlight() {
    for (ProducerBatch batch : batches) {
      if (!batch.inFlight) {
        return batch;
      }
    }
    return null;
  }

  /** Removes and returns the head if it is older than {@code timeoutNanos}, else null. */
  synchronized ProducerBatch pollExpired(long nowNanos, long timeoutNanos) {
    ProducerBatch head = batches.peekFirst();
    if (head == null || nowNanos - head.createdNanos < timeoutNanos) {
      return null;
    }
    head.close();
    return batches.pollFirst();
  }

  /** Removes {@code batch}, acknowledged: a batch after the head may be acknowledged first. */
  synchronized void remove(ProducerBatch batch) {
    if (!batches.remove(batch)) {
      throw new IllegalStateException("acknowledged batch is not queued for " + topic + "/" + partition);
    }
  }

  /** Removes the head, which must be {@code batch}: batches fail in order. */
  synchronized void removeHead(ProducerBatch batch) {
    ProducerBatch head = batches.pollFirst();
    if (head != batch) {
      throw new IllegalStateException(
          "failed batch is not the head of " + topic + "/" + partition);
    }
  }

  synchronized ProducerBatch head() {
    return batches.peekFirst();
  }

  synchronized boolean isEmpty() {
    return batches.isEmpty();
  }

  /** Adds the completion of every batch in the queue to {@code out}. */
  synchronized void collectPending(List<CompletableFuture<Void>> out) {
    for (ProducerBatch batch : batches) {
      out.add(batch.done);
    }
  }
}
