package com.alipay.sofa.jraft.rpc;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.util.SystemPropertyUtil;
import io.ordo.jraft.DaemonThreads;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ordo's stand-in for jraft's class of the same name and API: where jraft runs closures and
 * tasks it must not run on the calling thread (a leader's heartbeats, from their timers; status
 * listeners, which must not run under a replicator's lock). jraft's pool hands each task to a
 * thread through a SynchronousQueue, so it starts a thread whenever all are busy, up to 100: at a
 * thousand partitions a node's heartbeats alone (over a thousand a second) kept 100 threads
 * and about a sixth of its idle CPU there. Here a few threads take tasks from a queue, and the
 * pool grows past them, to jraft's maximum, only once {@link #QUEUED_TASKS} are waiting. Written
 * for Ordo; not jraft's code.
 */
public final class RpcUtils {
  private static final Logger LOG = LoggerFactory.getLogger(RpcUtils.class);
  /** Threads that always run (jraft's property and default: the CPUs). */
  private static final int THREADS =
      SystemPropertyUtil.getInt("jraft.rpc.closure.threadpool.size.min", Runtime.getRuntime().availableProcessors());
  /** Threads at most, once the queue is full (jraft's property and default). */
  private static final int MAX_THREADS =
      Math.max(THREADS, SystemPropertyUtil.getInt("jraft.rpc.closure.threadpool.size.max",
          Math.max(100, Runtime.getRuntime().availableProcessors() * 5)));
  /**
   * Tasks waiting for a thread, past which more threads start; past those, a task is refused
   * (RejectedExecutionException to its caller), as jraft's pool refuses one past its maximum.
   */
  private static final int QUEUED_TASKS = 10_000;

  private static final ThreadPoolExecutor EXECUTOR =
      new ThreadPoolExecutor(
          THREADS,
          MAX_THREADS,
          60,
          TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(QUEUED_TASKS),
          DaemonThreads.numbered("JRaft-Rpc-Closure-Executor"));

  private RpcUtils() {}

  /** Runs {@code done} with an OK status on the pool. */
  public static Future<?> runClosureInThread(Closure done) {
    return done == null ? null : runClosureInThread(done, Status.OK());
  }

  /** Runs {@code runnable} on the pool. */
  public static Future<?> runInThread(Runnable runnable) {
    return EXECUTOR.submit(runnable);
  }

  /** Runs {@code done} with {@code status} on the pool; what it throws is logged. */
  public static Future<?> runClosureInThread(Closure done, Status status) {
    return done == null ? null : runInThread(() -> run(done, status));
  }

  /** Runs {@code done} with {@code status} on {@code executor}, or on the pool when it is null. */
  public static void runClosureInExecutor(Executor executor, Closure done, Status status) {
    if (done == null) {
      return;
    }
    if (executor == null) {
      runClosureInThread(done, status);
    } else {
      executor.execute(() -> run(done, status));
    }
  }

  private static void run(Closure done, Status status) {
    try {
      done.run(status);
    } catch (Throwable t) {
      LOG.error("a closure failed", t);
    }
  }
}
