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
  private final boolean syncRounds;
  private volatile Thread owner;
  /** The thread's {@link LogSyncRound}, if it runs them; touched only by the thread. */
  private LogSyncRound round;

  /** @param backlog tasks waiting, past which {@link #execute} throws RejectedExecutionException */
  Stripe(String name, int backlog) {
    this(name, backlog, false);
  }

  /** @param syncRounds whether the log appends of the tasks run here share syncs ({@link LogSyncRound}) */
  Stripe(String name, int backlog, boolean syncRounds) {
    this.syncRounds = syncRounds;
    this.thread =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(backlog),
            r -> {
              Thread t = DaemonThreads.named(name).newThread(syncRounds ? () -> {
                round = LogSyncRound.openOnThisThread();
                r.run();
              } : r);
              owner = t;
              return t;
            });
  }

  @Override
  public void execute(Runnable drain) {
    thread.execute(syncRounds ? () -> {
      try {
        drain.run();
      } finally {
        round.drained(thread.getQueue().isEmpty());
      }
    } : drain);
  }

  boolean isCurrentThread() {
    return Thread.currentThread() == owner;
  }
}
