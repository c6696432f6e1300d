package io.ordo.jraft;

import com.alipay.sofa.jraft.util.SPI;
import com.alipay.sofa.jraft.util.timer.DefaultRaftTimerFactory;
import com.alipay.sofa.jraft.util.timer.Timeout;
import com.alipay.sofa.jraft.util.timer.Timer;
import com.alipay.sofa.jraft.util.timer.TimerTask;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timers jraft's groups share on a node for elections, votes, step-downs and snapshots, each
 * one thread whose due times are rounded up to a multiple of {@link #TICK_MS}, so that timers of
 * many groups due within one tick fire in one wake-up instead of one each. At a thousand
 * partitions a node's follower groups check their leader about 270 times a second and its
 * leaders their followers about 170 times, each a thread woken for microseconds of work: with
 * jraft's timers (a thread per CPU each, taking turns waiting for the next due task) the election
 * checks alone were a seventh of an idle node's CPU, a quarter of that aligned.
 *
 * <p>The scheduler of heartbeats stays jraft's (one thread, see RaftHost): heartbeats aligned on
 * ticks reached the peers' {@link HeartbeatCoalescer} in bursts, and the nodes switched threads
 * more often than unaligned, with a window of 20 ms or of 10 ms (one batch per peer and tick)
 * alike (bench/threads.sh, 1,000 partitions idle).
 *
 * <p>Shared timers live as long as the JVM: a thread waits without a timeout when nothing is due,
 * and a stopping group's timers are cancelled one by one, so jraft's {@code stop} of a shared
 * timer is not passed on. Every other timer jraft asks for ({@link #createTimer}: a group's own,
 * and the one its read-index timeouts share) is of the same kind on a thread of its own, which
 * {@code stop} ends: jraft's own ticks every millisecond whether anything is due or not, so the
 * read-index timer, made at a node's first linearizable read, kept a thread waking a thousand
 * times a second for good (2-3% of a core in paced runs, idle nodes too).
 */
@SPI(priority = 100)
public final class AlignedRaftTimerFactory extends DefaultRaftTimerFactory {
  /**
   * The grain of every shared timer: small beside an election timeout (2 s) and the spread jraft
   * adds to it (up to a second), so elections do not change in effect.
   */
  static final long TICK_MS = 20;

  private static final Logger LOG = LoggerFactory.getLogger(AlignedRaftTimerFactory.class);
  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(TICK_MS);

  private static final AlignedTimer ELECTIONS = new AlignedTimer("ordo-raft-election-timer", true);
  private static final AlignedTimer VOTES = new AlignedTimer("ordo-raft-vote-timer", true);
  private static final AlignedTimer STEP_DOWNS = new AlignedTimer("ordo-raft-step-down-timer", true);
  private static final AlignedTimer SNAPSHOTS = new AlignedTimer("ordo-raft-snapshot-timer", true);

  @Override
  public Timer getElectionTimer(boolean shared, String name) {
    return shared ? ELECTIONS : createTimer(name);
  }

  @Override
  public Timer getVoteTimer(boolean shared, String name) {
    return shared ? VOTES : createTimer(name);
  }

  @Override
  public Timer getStepDownTimer(boolean shared, String name) {
    return shared ? STEP_DOWNS : createTimer(name);
  }

  @Override
  public Timer getSnapshotTimer(boolean shared, String name) {
    return shared ? SNAPSHOTS : createTimer(name);
  }

  @Override
  public Timer createTimer(String name) {
    return new AlignedTimer(name, false);
  }

  /** A delay from now that ends on the first tick at or after {@code delay} from now. */
  static long alignedDelayNanos(long delay, TimeUnit unit) {
    return alignedDelayNanos(System.nanoTime(), delay, unit);
  }

  /** As {@link #alignedDelayNanos(long, TimeUnit)} at {@code now} on {@link System#nanoTime}'s clock. */
  static long alignedDelayNanos(long now, long delay, TimeUnit unit) {
    long due = now + unit.toNanos(Math.max(0, delay));
    return Math.floorDiv(due + TICK_NANOS - 1, TICK_NANOS) * TICK_NANOS - now;
  }

  static final class AlignedTimer implements Timer {
    private final ScheduledThreadPoolExecutor executor;
    /** Shared by every group on the node: {@link #stop} leaves it running. */
    private final boolean shared;

    AlignedTimer(String name, boolean shared) {
      this.shared = shared;
      executor = new ScheduledThreadPoolExecutor(1, DaemonThreads.named(name));
      executor.setRemoveOnCancelPolicy(true); // jraft cancels and re-arms a group's timers whenever its role changes
    }

    @Override
    public Timeout newTimeout(TimerTask task, long delay, TimeUnit unit) {
      return new AlignedTimeout(this, task, delay, unit);
    }

    @Override
    public Set<Timeout> stop() {
      if (!shared) {
        executor.shutdownNow(); // jraft's callers drop what did not run, as they drop this set
      }
      return Set.of(); // a shared timer's groups cancel their own timeouts
    }
  }

  static final class AlignedTimeout implements Timeout {
    private final AlignedTimer timer;
    private final TimerTask task;
    private final ScheduledFuture<?> future;
    private volatile boolean expired;

    AlignedTimeout(AlignedTimer timer, TimerTask task, long delay, TimeUnit unit) {
      this.timer = timer;
      this.task = task;
      this.future = timer.executor.schedule(this::expire, alignedDelayNanos(delay, unit), TimeUnit.NANOSECONDS);
    }

    private void expire() {
      expired = true;
      try {
        task.run(this);
      } catch (Exception e) {
        LOG.error("a Raft timer's task failed", e); // jraft's timers drop it unseen
      }
    }

    /** How long until it fires, as its executor sees it. */
    long delayNanos() {
      return future.getDelay(TimeUnit.NANOSECONDS);
    }

    @Override
    public Timer timer() {
      return timer;
    }

    @Override
    public TimerTask task() {
      return task;
    }

    @Override
    public boolean isExpired() {
      return expired;
    }

    @Override
    public boolean isCancelled() {
      return future.isCancelled();
    }

    @Override
    public boolean cancel() {
      return future.cancel(false);
    }
  }
}
