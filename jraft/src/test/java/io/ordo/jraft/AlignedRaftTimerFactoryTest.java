package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.JRaftUtils;
import com.alipay.sofa.jraft.core.NodeImpl;
import com.alipay.sofa.jraft.util.timer.Timeout;
import com.alipay.sofa.jraft.util.timer.Timer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class AlignedRaftTimerFactoryTest {
  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(AlignedRaftTimerFactory.TICK_MS);

  @Test
  void jraftLoadsOrdosTimerFactory() {
    assertThat(JRaftUtils.raftTimerFactory()).isInstanceOf(AlignedRaftTimerFactory.class);
    assertThat(NodeImpl.TIMER_FACTORY).isInstanceOf(AlignedRaftTimerFactory.class);
  }

  @Test
  void everyDueTimeIsTheFirstTickAtOrAfterIt() {
    for (long now : List.of(0L, 1L, TICK_NANOS - 1, TICK_NANOS, -7 * TICK_NANOS - 3, Long.MAX_VALUE / 4)) {
      for (long delayMs : List.of(0L, 1L, 19L, 20L, 21L, 500L, 2_137L)) {
        long due = now + TimeUnit.MILLISECONDS.toNanos(delayMs);
        long fires = now + AlignedRaftTimerFactory.alignedDelayNanos(now, delayMs, TimeUnit.MILLISECONDS);
        assertThat(Math.floorMod(fires, TICK_NANOS)).as("now %d, delay %d ms", now, delayMs).isZero();
        assertThat(fires - due).as("now %d, delay %d ms", now, delayMs).isBetween(0L, TICK_NANOS - 1);
      }
    }
    assertThat(AlignedRaftTimerFactory.alignedDelayNanos(5, -10, TimeUnit.MILLISECONDS))
        .as("a due time in the past fires on the next tick").isEqualTo(TICK_NANOS - 5);
  }

  /**
   * Where each timeout lands on its executor's clock, not when it fired: a busy machine delays
   * firing, not the schedule.
   */
  @Test
  void timeoutsAreScheduledOnATickAndNeverFireEarly() throws InterruptedException {
    Timer timer = new AlignedRaftTimerFactory().getElectionTimer(true, "test");
    int count = 200;
    CountDownLatch fired = new CountDownLatch(count);
    ConcurrentLinkedQueue<Long> early = new ConcurrentLinkedQueue<>();
    List<Long> intoTick = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long delayMs = ThreadLocalRandom.current().nextLong(0, 100);
      long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs);
      Timeout timeout = timer.newTimeout(t -> {
        long now = System.nanoTime();
        if (now < due) {
          early.add(due - now);
        }
        fired.countDown();
      }, delayMs, TimeUnit.MILLISECONDS);
      long delay = ((AlignedRaftTimerFactory.AlignedTimeout) timeout).delayNanos();
      intoTick.add(Math.floorMod(System.nanoTime() + delay, TICK_NANOS));
    }
    // Unaligned, timeouts due at random land at random points of a tick: half past its middle.
    // Aligned, only a thread switched out between two reads of the clock puts one past the start.
    long medianIntoTick = intoTick.stream().sorted().skip(count / 2).findFirst().orElseThrow();
    assertThat(medianIntoTick).as("median nanoseconds into a tick where a timeout was scheduled").isLessThan(TICK_NANOS / 4);
    assertThat(fired.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(early).as("nanoseconds early").isEmpty();
  }

  @Test
  void aCancelledTimeoutNeverRuns() throws InterruptedException {
    Timer timer = new AlignedRaftTimerFactory().getVoteTimer(true, "test");
    AtomicBoolean ran = new AtomicBoolean();
    Timeout timeout = timer.newTimeout(t -> ran.set(true), 50, TimeUnit.MILLISECONDS);
    assertThat(timeout.cancel()).isTrue();
    assertThat(timeout.isCancelled()).isTrue();
    CountDownLatch later = new CountDownLatch(1);
    timer.newTimeout(t -> later.countDown(), 100, TimeUnit.MILLISECONDS);
    assertThat(later.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(ran).isFalse();
  }

  @Test
  void sharedTimersOutliveAGroupsStop() throws InterruptedException {
    AlignedRaftTimerFactory factory = new AlignedRaftTimerFactory();
    factory.getStepDownTimer(true, "a stopping group").stop();
    CountDownLatch ran = new CountDownLatch(1);
    factory.getStepDownTimer(true, "another group").newTimeout(t -> ran.countDown(), 1, TimeUnit.MILLISECONDS);
    assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
  }

  /**
   * jraft makes a timer of its own for read-index timeouts at a node's first linearizable read;
   * jraft's kind ticks every millisecond for good. One of Ordo's sleeps while nothing is due (its
   * thread's context switches, from /proc), and {@code stop} ends its thread.
   */
  @Test
  void aTimerOfItsOwnSleepsWhileNothingIsDueAndStops() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs Linux's /proc");
    String name = "own-timer"; // jraft adds to it; Linux keeps a thread name's first 15 characters
    Timer timer = JRaftUtils.raftTimerFactory().createTimer(name);
    CountDownLatch ran = new CountDownLatch(1);
    timer.newTimeout(t -> ran.countDown(), 1, TimeUnit.MILLISECONDS);
    assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
    Path thread = threadNamed(name).orElseThrow();
    long before = contextSwitches(thread);
    Thread.sleep(500);
    assertThat(contextSwitches(thread) - before).as("wake-ups in 500 ms with nothing due").isLessThanOrEqualTo(5);

    timer.stop();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (threadNamed(name).isPresent() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(threadNamed(name)).as("the timer's thread after stop").isEmpty();
  }

  private static Optional<Path> threadNamed(String name) throws IOException {
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      return tasks.filter(task -> comm(task).startsWith(name)).findFirst();
    }
  }

  private static String comm(Path task) {
    try {
      return Files.readString(task.resolve("comm")).strip();
    } catch (IOException e) {
      return ""; // the thread ended
    }
  }

  /** Voluntary and involuntary context switches of a thread so far. */
  private static long contextSwitches(Path task) throws IOException {
    return Files.readAllLines(task.resolve("status")).stream()
        .filter(line -> line.contains("ctxt_switches:"))
        .mapToLong(line -> Long.parseLong(line.substring(line.indexOf(':') + 1).strip()))
        .sum();
  }
}
