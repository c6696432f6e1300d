package io.ordo.raft.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reads parked on a partition leave the registry when they are woken or cancelled, and no more
 * than the cap wait at once.
 */
class AppendWaitersTest {
  /** Wake-ups the registry handed to its executor, in order; run by the test when it wants. */
  private final List<Runnable> handedOff = new ArrayList<>();
  private final List<String> ran = new ArrayList<>();
  private final ParkedReads node = new ParkedReads(1_000);

  private AppendWaiters waiters(int capacity) {
    return waiters(capacity, node);
  }

  private AppendWaiters waiters(int capacity, ParkedReads node) {
    return new AppendWaiters(capacity, node, handedOff::add);
  }

  private Runnable read(String name) {
    return () -> ran.add(name);
  }

  private void runHandedOff() {
    handedOff.forEach(Runnable::run);
    handedOff.clear();
  }

  @Test
  void wakeAllRunsEveryParkedReadOnTheExecutorOnce() {
    AppendWaiters waiters = waiters(10);
    waiters.park(read("a"));
    waiters.park(read("b"));

    waiters.wakeAll();

    assertThat(ran).as("nothing runs on the waking thread").isEmpty();
    runHandedOff();
    assertThat(ran).containsExactlyInAnyOrder("a", "b");
    assertThat(waiters.size()).isZero();

    waiters.wakeAll();
    assertThat(handedOff).as("a woken read is not woken again").isEmpty();
  }

  @Test
  void aCancelledReadLeavesAtOnceAndIsNotWoken() {
    AppendWaiters waiters = waiters(10);
    AppendWaiters.Waiter a = waiters.park(read("a"));
    waiters.park(read("b"));

    assertThat(a.cancel()).isTrue();
    assertThat(waiters.size()).isEqualTo(1);

    waiters.wakeAll();
    runHandedOff();
    assertThat(ran).containsExactly("b");
  }

  @Test
  void cancellingAfterTheWakeUpSaysSoAndChangesNothing() {
    AppendWaiters waiters = waiters(10);
    AppendWaiters.Waiter a = waiters.park(read("a"));
    waiters.wakeAll();

    assertThat(a.cancel()).isFalse();
    assertThat(a.cancel()).isFalse();
    runHandedOff();
    assertThat(ran).containsExactly("a");
    assertThat(waiters.size()).isZero();
  }

  @Test
  void pastTheCapParkingIsRefusedUntilAPlaceIsFree() {
    AppendWaiters waiters = waiters(2);
    AppendWaiters.Waiter a = waiters.park(read("a"));
    waiters.park(read("b"));

    assertThat(waiters.park(read("c"))).isNull();
    assertThat(waiters.size()).isEqualTo(2);

    a.cancel();
    assertThat(waiters.park(read("d"))).as("a cancelled read frees its place").isNotNull();
    assertThat(waiters.park(read("e"))).isNull();

    waiters.wakeAll();
    assertThat(waiters.park(read("f"))).as("woken reads free theirs").isNotNull();
    runHandedOff();
    assertThat(ran).containsExactlyInAnyOrder("b", "d");
  }

  @Test
  void theNodesBoundHoldsAcrossPartitionsAndWokenOrCancelledReadsGiveTheirPlacesBack() {
    ParkedReads node = new ParkedReads(3);
    AppendWaiters first = waiters(10, node);
    AppendWaiters second = waiters(10, node);
    AppendWaiters.Waiter a = first.park(read("a"));
    AppendWaiters.Waiter b = first.park(read("b"));
    second.park(read("c"));

    assertThat(second.park(read("d"))).as("the node's bound, though the partition has room").isNull();
    assertThat(second.full()).isFalse();
    assertThat(node.held()).isEqualTo(3);

    a.cancel();
    assertThat(node.held()).isEqualTo(2);
    assertThat(second.park(read("e"))).isNotNull();
    first.wakeAll();
    assertThat(node.held()).as("the woken read's place is free").isEqualTo(2);
    assertThat(b.cancel()).isFalse();
    assertThat(node.held()).as("cancelling a woken read gives nothing back").isEqualTo(2);
  }

  @Test
  void aReadParkedWhileWakingWaitsForTheNextRound() {
    AppendWaiters waiters = waiters(10);
    waiters.park(() -> waiters.park(read("again")));

    waiters.wakeAll();
    runHandedOff();

    assertThat(ran).isEmpty();
    assertThat(waiters.size()).isEqualTo(1);
    waiters.wakeAll();
    runHandedOff();
    assertThat(ran).containsExactly("again");
  }

  @Test
  void aCapBelowOneIsRefused() {
    assertThatThrownBy(() -> waiters(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
