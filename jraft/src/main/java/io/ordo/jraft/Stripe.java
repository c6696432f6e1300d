package io.ordo.jraft;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One thread shared by many Raft groups, running their tasks one at a time in the order given:
 * what a group gives one stripe stays in order.
 */
final class Stripe implements Executor {
  private final ThreadPoolExecutor thread;
  private volatile Thread owner;
  /** The stripe's {@link LogSyncRound}, if it runs them; touched only by the thread running the stripe. */
  private final LogSyncRound round;

  /** @param backlog tasks waiting, past which {@link #execute} throws RejectedExecutionException */
  Stripe(String name, int backlog) {
    this(name, backlog, false);
  }

  /** @param syncRounds whether the log appends of the tasks run here share syncs ({@link LogSyncRound}) */
  Stripe(String name, int backlog, boolean syncRounds) {
    this.round = syncRounds ? new LogSyncRound(() -> !queueEmpty()) : null;
    this.thread =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(backlog),
            r -> {
              Thread t = DaemonThreads.named(name).newThread(round == null ? r : () -> {
                round.bindToCurrentThread();
                r.run();
              });
              owner = t;
              return t;
            });
  }

  @Override
  public void execute(Runnable drain) {
    thread.execute(round == null ? drain : () -> {
      try {
        drain.run();
      } finally {
        round.drained(queueEmpty());
      }
    });
  }

  private boolean queueEmpty() {
    return thread.getQueue().isEmpty();
  }

  /** Runs what was given, then stops the thread: for tests, which stop what they start. */
  void close() {
    thread.shutdown();
  }

  boolean isCurrentThread() {
    return Thread.currentThread() == owner;
  }
}
