package io.ordo.jraft;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factories for the pools Ordo starts: named, so a thread dump says whose a thread is, and
 * daemon, so a pool left running never keeps a stopping JVM alive.
 */
public final class DaemonThreads {
  private DaemonThreads() {}

  /** Threads all named {@code name} (for pools of one thread). */
  public static ThreadFactory named(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Threads named {@code prefix-1}, {@code prefix-2}, ... */
  public static ThreadFactory numbered(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return r -> named(prefix + "-" + count.incrementAndGet()).newThread(r);
  }
}
