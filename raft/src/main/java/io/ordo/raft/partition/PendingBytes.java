package io.ordo.raft.partition;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes all of a node's partition leaders hold waiting for commit, bounded: each partition has
 * a cap of its own, but a thousand partitions' caps together would be far more than the heap.
 * Thread-safe.
 */
public final class PendingBytes {
  private final AtomicLong held = new AtomicLong();
  private final long max;

  public PendingBytes(long max) {
    if (max <= 0) {
      throw new IllegalArgumentException("the node's pending bytes must be positive: " + max);
    }
    this.max = max;
  }

  /** The bound, in bytes. */
  public long max() {
    return max;
  }

  /** Bytes held now. */
  public long held() {
    return held.get();
  }

  /** Takes {@code bytes}; false, and nothing taken, if that would pass {@link #max()}. */
  boolean tryAcquire(long bytes) {
    if (held.addAndGet(bytes) > max) {
      held.addAndGet(-bytes);
      return false;
    }
    return true;
  }

  void release(long bytes) {
    if (held.addAndGet(-bytes) < 0) {
      throw new IllegalStateException("released more pending bytes than were taken: " + bytes);
    }
  }
}
