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

  /** @param backlog tasks waiting, past which {@link #execute} throws RejectedExecutionException */
  Stripe(String name, int backlog) {
    this.thread =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(backlog),
            r -> {
              Thread t = DaemonThreads.named(name).newThread(r);
              owner = t;
              return t;
            });
  }

  @Override
  public void execute(Runnable drain) {
    thread.execute(drain);
  }

  boolean isCurrentThread() {
    return Thread.currentThread() == owner;
  }
}
