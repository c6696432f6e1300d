package io.ordo.raft.partition;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reads a node keeps parked on all its partitions together (long-polls, caught-up
 * subscriptions and queue consume streams), against a bound: each partition has its own bound
 * too, but a thousand partitions times theirs is more waiting reads than a node should hold.
 * Thread-safe.
 */
public final class ParkedReads {
  private final int max;
  private final AtomicInteger held = new AtomicInteger();

  /** @param max reads parked at once, at least 1 */
  public ParkedReads(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, not " + max);
    }
    this.max = max;
  }

  /** Takes a place for one read; false when {@code max} are parked already. */
  boolean tryTake() {
    while (true) {
      int now = held.get();
      if (now >= max) {
        return false;
      }
      if (held.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  /** Gives back {@code reads} places. */
  void release(int reads) {
    if (held.addAndGet(-reads) < 0) {
      throw new IllegalStateException("released more parked reads than were taken");
    }
  }

  public int held() {
    return held.get();
  }

  public int max() {
    return max;
  }
}
