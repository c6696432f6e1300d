package io.ordo.raft.partition;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Reads parked on a partition until its next apply round or leadership change: long-polls and
 * subscriptions that have caught up with the log.
 *
 * <p>At most {@code capacity} wait at once, and only while the node's {@link ParkedReads} has
 * room; past either {@link #park} refuses rather than growing, so a consumer polling an idle
 * partition cannot pile up waiters. Each parked read has a {@link
 * Waiter} handle: the read cancels it when it is answered another way (its wait ran out, the client
 * went away), which frees its place at once instead of at the next append. {@link #wakeAll} takes
 * every waiter parked so far out of the registry and runs each on the executor; a read that finds
 * nothing new parks again, into the next round.
 */
public final class AppendWaiters {
  private final int capacity;
  private final ParkedReads node;
  private final Executor executor;
  /** Guarded by {@code this}; replaced, not cleared, by each wake-up so waking runs outside the lock. */
  private Set<Waiter> parked = new HashSet<>();

  /**
   * @param capacity reads that may be parked at once, at least 1
   * @param node the node's bound on parked reads, shared by its partitions
   * @param executor where woken reads run; never the caller of {@link #wakeAll} (the apply thread)
   */
  public AppendWaiters(int capacity, ParkedReads node, Executor executor) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
    }
    this.capacity = capacity;
    this.node = node;
    this.executor = executor;
  }

  /**
   * Parks {@code wakeUp} until the next {@link #wakeAll}.
   *
   * @return the handle that takes it out again, or null when {@code capacity} reads are parked
   *     here already, or the node's bound is reached
   */
  public Waiter park(Runnable wakeUp) {
    Waiter waiter = new Waiter(wakeUp);
    synchronized (this) {
      if (parked.size() >= capacity || !node.tryTake()) {
        return null;
      }
      parked.add(waiter);
    }
    return waiter;
  }

  /** Whether this partition's own bound is reached (else a refused read met the node's). */
  public synchronized boolean full() {
    return parked.size() >= capacity;
  }

  /** Runs every parked read on the executor and forgets it. */
  public void wakeAll() {
    Set<Waiter> woken;
    synchronized (this) {
      if (parked.isEmpty()) {
        return;
      }
      woken = parked;
      parked = new HashSet<>();
      node.release(woken.size());
    }
    for (Waiter w : woken) {
      executor.execute(w.wakeUp);
    }
  }

  /** Reads parked now. */
  public synchronized int size() {
    return parked.size();
  }

  public int capacity() {
    return capacity;
  }

  /** One parked read. */
  public final class Waiter {
    private final Runnable wakeUp;

    private Waiter(Runnable wakeUp) {
      this.wakeUp = wakeUp;
    }

    /**
     * Takes this read out of the registry; it will not be woken.
     *
     * @return false when it was woken (or cancelled) already
     */
    public boolean cancel() {
      synchronized (AppendWaiters.this) {
        if (!parked.remove(this)) {
          return false;
        }
        node.release(1);
        return true;
      }
    }
  }
}
