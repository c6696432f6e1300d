package io.ordo.cli;

import java.util.concurrent.locks.LockSupport;

/**
 * A benchmark's schedule: the i-th record is due at a fixed interval after the start, and latency
 * counts from then, so a sender that falls behind shows in the figures (no coordinated omission).
 * Waits park, never spin: the cluster under test shares the cores. Public for the Kafka benchmark
 * beside Ordo's (bench/kafka), which must pace exactly alike.
 */
public final class Pacer {
  private final long startNanos;
  private final double intervalNanos;

  /** Records per second from now; 0 for no pacing. */
  public Pacer(long recordsPerSecond) {
    this.startNanos = System.nanoTime();
    this.intervalNanos = recordsPerSecond == 0 ? 0 : 1e9 / recordsPerSecond;
  }

  /** Waits until record {@code i} is due; returns when latency counts from (System.nanoTime): its due time, or now if unpaced. */
  public long awaitDue(long i) {
    if (intervalNanos == 0) {
      return System.nanoTime();
    }
    long due = startNanos + (long) (i * intervalNanos);
    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
      LockSupport.parkNanos(wait);
    }
    return due;
  }
}
