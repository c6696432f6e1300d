package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LogSyncRoundTest {
  private static final long DEADLINE_SECONDS = 60;

  private final AtomicInteger syncs = new AtomicInteger();
  /** Writes to the store, a round's sync among them (as RaftLogStore's, a synced write of one key). */
  private final AtomicInteger writes = new AtomicInteger();
  private final LogSyncRound.Sync sync = () -> {
    writes.incrementAndGet();
    syncs.incrementAndGet();
  };
  /** What the closures saw: "name:syncs so far:synced". */
  private final List<String> closures = new CopyOnWriteArrayList<>();
  private final List<Stripe> stripes = new ArrayList<>();

  @AfterEach
  void closeStripes() {
    stripes.forEach(Stripe::close);
  }

  private Stripe syncRoundStripe() {
    Stripe stripe = new Stripe("round-test", Integer.MAX_VALUE, true);
    stripes.add(stripe);
    return stripe;
  }

  /** A group's drain as the patched log manager makes it: an append, then its closures after the sync. */
  private Runnable append(String name) {
    return () -> {
      writes.incrementAndGet();
      if (!LogSyncRound.deferSync(sync)) {
        syncs.incrementAndGet(); // a synced write
      }
      LogSyncRound.afterSync(synced -> closures.add(name + ":" + syncs.get() + ":" + synced));
    };
  }

  /** Holds {@code stripe} busy until the returned latch is counted down, so what is queued meanwhile drains in a row. */
  private static CountDownLatch hold(Stripe stripe) throws InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    stripe.execute(() -> {
      holding.countDown();
      await(release);
    });
    assertThat(holding.await(DEADLINE_SECONDS, TimeUnit.SECONDS)).isTrue();
    return release;
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(DEADLINE_SECONDS, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Waits until {@code count} closures have run: the last round's end follows its last drain. */
  private void awaitClosures(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
    while (closures.size() < count) {
      assertThat(System.nanoTime() - deadline).as("closures run before the deadline").isNegative();
      Thread.sleep(5);
    }
  }

  @Test
  void outsideARoundAppendsAreSyncedAndClosuresRunAtOnce() {
    append("a").run();
    assertThat(syncs).hasValue(1);
    assertThat(closures).containsExactly("a:1:true");
  }

  @Test
  void aDrainAloneOnItsStripeWritesSyncedWithoutARoundsExtraWrite() throws InterruptedException {
    Stripe stripe = syncRoundStripe();
    stripe.execute(append("a"));
    awaitClosures(1);

    assertThat(closures).containsExactly("a:1:true");
    assertThat(writes).hasValue(1);
  }

  @Test
  void groupsDrainedInARowShareOneSyncAndTheirClosuresFollowIt() throws InterruptedException {
    Stripe stripe = syncRoundStripe();
    CountDownLatch release = hold(stripe);
    for (String group : List.of("a", "b", "c", "d")) {
      stripe.execute(append(group));
    }
    release.countDown();
    awaitClosures(4);

    assertThat(syncs).hasValue(1);
    assertThat(closures).containsExactly("a:1:true", "b:1:true", "c:1:true", "d:1:true");
  }

  @Test
  void aRoundEndsAfterItsMostDrainsEvenWhileMoreWait() throws InterruptedException {
    Stripe stripe = syncRoundStripe();
    CountDownLatch release = hold(stripe);
    // The holding task counts as the round's first drain.
    for (int i = 1; i < LogSyncRound.MAX_DRAINS + 5; i++) {
      stripe.execute(append("g" + i));
    }
    release.countDown();
    awaitClosures(LogSyncRound.MAX_DRAINS + 4);

    assertThat(syncs).hasValue(2);
    assertThat(closures.get(LogSyncRound.MAX_DRAINS - 2)).startsWith("g" + (LogSyncRound.MAX_DRAINS - 1) + ":1:");
    assertThat(closures.get(LogSyncRound.MAX_DRAINS - 1)).startsWith("g" + LogSyncRound.MAX_DRAINS + ":2:");
  }

  @Test
  void syncNowRunsTheDeferredClosuresBeforeWhatFollowsIt() throws InterruptedException {
    Stripe stripe = syncRoundStripe();
    CountDownLatch release = hold(stripe);
    stripe.execute(() -> {
      append("a").run();
      LogSyncRound.syncNow();
      closures.add("truncate:" + syncs.get());
    });
    stripe.execute(() -> {}); // keeps the round open past the drain above
    release.countDown();
    awaitClosures(2);

    assertThat(closures).containsExactly("a:1:true", "truncate:1");
  }

  @Test
  void aThreadThatReplacesOneThatDiedRunsTheClosuresItsRoundHeld() throws InterruptedException {
    Stripe stripe = syncRoundStripe();
    CountDownLatch release = hold(stripe);
    stripe.execute(() -> {
      append("a").run();
      throw new AssertionError("planted: an Error ends the stripe's thread");
    });
    stripe.execute(append("b"));
    release.countDown();
    awaitClosures(2);

    assertThat(closures).containsExactly("a:1:true", "b:1:true");
  }

  @Test
  void aFailedSyncReachesEveryDeferredClosure() throws InterruptedException {
    Stripe stripe = syncRoundStripe();
    LogSyncRound.Sync failing = () -> {
      throw new java.io.IOException("disk gone");
    };
    CountDownLatch release = hold(stripe);
    for (String group : List.of("a", "b")) {
      stripe.execute(() -> {
        assertThat(LogSyncRound.deferSync(failing)).isTrue();
        LogSyncRound.afterSync(synced -> closures.add(group + ":" + synced));
      });
    }
    release.countDown();
    awaitClosures(2);

    assertThat(closures).containsExactly("a:false", "b:false");
  }
}
