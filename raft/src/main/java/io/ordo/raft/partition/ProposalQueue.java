package io.ordo.raft.partition;

import io.ordo.proto.raft.v1.PartitionOp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * The ops a leader accepted and has not proposed yet, taken in arrival order, many to a Raft
 * entry. Bounded by bytes, held until the proposed ops are answered: an op past {@code maxBytes},
 * or past what the node's partitions may hold together, is not queued.
 *
 * <p>An op is proposed only in the term it was accepted in, and only while its caller still waits
 * for the answer. Proposed later, it could be committed after its caller had an answer (a
 * timeout, a leader change) and had moved on: an append after the caller's retry and after the
 * records it sent next, a duplicate out of order that no client can tell from a retry's. Such an
 * op is refused instead, as definitely not applied: it never reaches the log.
 *
 * <p>Thread-safe; any number of threads offer, one at a time takes.
 */
final class ProposalQueue {
  /** Why an op was taken out of the queue without being proposed. */
  enum Refusal {
    /** Accepted in another term than the one proposing now. */
    OTHER_TERM,
    /** Its caller gave up waiting (cancelled, or its deadline passed). */
    ABANDONED
  }

  /**
   * One accepted op: its size in bytes (records, for an append), the term it was accepted in, and
   * when ({@link System#nanoTime()}).
   */
  record Pending(PartitionOp op, int bytes, long term, OpCallback callback, long acceptedNanos) {}

  /** Whether {@link #offer} queued an op, or which bound it would have passed. */
  enum Admission {
    QUEUED,
    PARTITION_FULL,
    NODE_FULL
  }

  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicLong bytes = new AtomicLong();
  private final long maxBytes;
  private final PendingBytes node;

  ProposalQueue(long maxBytes, PendingBytes node) {
    this.maxBytes = maxBytes;
    this.node = node;
  }

  /**
   * Queues {@code pending} unless that would pass {@code maxBytes} or the node's bound. An op
   * larger than {@code maxBytes} is queued when it would be alone, or it could never be.
   */
  Admission offer(Pending pending) {
    long held = bytes.addAndGet(pending.bytes());
    if (held > maxBytes && held != pending.bytes()) {
      bytes.addAndGet(-pending.bytes());
      return Admission.PARTITION_FULL;
    }
    if (!node.tryAcquire(pending.bytes())) {
      bytes.addAndGet(-pending.bytes());
      return Admission.NODE_FULL;
    }
    queue.add(pending);
    return Admission.QUEUED;
  }

  /**
   * The ops for the next entry of the leader of {@code term}: in order, at most {@code
   * maxEntryBytes} of them (a larger single op goes alone). Ops it may not propose are removed and
   * handed to {@code refused}, their bytes released. Empty when the queue is.
   */
  List<Pending> nextEntry(long term, int maxEntryBytes, BiConsumer<Pending, Refusal> refused) {
    List<Pending> entry = new ArrayList<>();
    long entryBytes = 0;
    Pending next;
    while ((next = queue.peek()) != null && (entry.isEmpty() || entryBytes + next.bytes() <= maxEntryBytes)) {
      queue.poll();
      Refusal refusal =
          next.term() != term ? Refusal.OTHER_TERM : next.callback().abandoned() ? Refusal.ABANDONED : null;
      if (refusal != null) {
        release(next.bytes());
        refused.accept(next, refusal);
        continue;
      }
      entry.add(next);
      entryBytes += next.bytes();
    }
    return entry;
  }

  /** Frees the bytes of proposed ops once they are answered. */
  void release(long proposedBytes) {
    bytes.addAndGet(-proposedBytes);
    node.release(proposedBytes);
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }
}
