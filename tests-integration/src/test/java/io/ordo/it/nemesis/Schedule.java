package io.ordo.it.nemesis;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Runs faults on a schedule in a thread of its own: quiet, a fault for a while, heal, quiet again,
 * until stopped. The fault and its victims come from a seeded random: the same seed replays the
 * same choices.
 */
public final class Schedule implements AutoCloseable {
  private final Nemesis nemesis;
  private final List<Fault> faults;
  private final Duration quiet;
  private final Duration hold;
  private final Random random;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile RuntimeException failure;

  public Schedule(Nemesis nemesis, List<Fault> faults, Duration quiet, Duration hold, Random random) {
    this.nemesis = nemesis;
    this.faults = List.copyOf(faults);
    this.quiet = quiet;
    this.hold = hold;
    this.random = random;
    this.thread = new Thread(this::run, "nemesis");
  }

  public void start() {
    thread.start();
  }

  private void run() {
    try {
      while (running) {
        if (!sleep(quiet)) {
          break;
        }
        Runnable heal = nemesis.apply(faults.get(random.nextInt(faults.size())));
        try {
          sleep(hold.plusMillis(random.nextInt((int) Math.max(1, hold.toMillis()))));
        } finally {
          heal.run();
        }
      }
    } catch (RuntimeException e) {
      failure = e;
    }
  }

  /** Sleeps unless stopped; false when stopped. */
  private boolean sleep(Duration d) {
    long end = System.nanoTime() + d.toNanos();
    while (running) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        return true;
      }
      try {
        TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  /** Stops after healing the current fault, then heals everything. */
  @Override
  public void close() {
    running = false;
    try {
      thread.join(TimeUnit.MINUTES.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    nemesis.healAll();
    if (failure != null) {
      throw new IllegalStateException("the nemesis failed", failure);
    }
  }
}
