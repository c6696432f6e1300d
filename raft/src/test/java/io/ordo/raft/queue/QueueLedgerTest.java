package io.ordo.raft.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.raft.v1.QueueProgress;
import io.ordo.proto.raft.v1.QueueRecord;
import io.ordo.proto.raft.v1.QueueRecordState;
import io.ordo.proto.v1.QueueMode;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.SettleAction;
import io.ordo.proto.v1.SettleOutcome;
import io.ordo.raft.queue.QueueLedger.Delivery;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class QueueLedgerTest {
  private static final long LEASE_MS = 1_000;
  private static final QueuePolicy POLICY =
      QueuePolicy.newBuilder()
          .setMaxDeliveries(3)
          .setLeaseMs(LEASE_MS)
          .addBackoffMs(100)
          .addBackoffMs(500)
          .setMaxLeased(50)
          .setMaxUnfinished(100)
          .build();

  private static final QueuePolicy KEY_ORDERED = POLICY.toBuilder().setMode(QueueMode.QUEUE_MODE_KEY_ORDERED).build();
  private static final RecordKeys NO_KEYS = (from, count) -> new long[count];
  /** Seven keys, offset modulo 7; every eleventh record has none. */
  private static final RecordKeys FEW_KEYS = (from, count) -> LongStream.range(from, from + count)
      .map(offset -> offset % 11 == 0 ? RecordKeys.NO_KEY : 1 + offset % 7)
      .toArray();

  /** The store a ledger writes to, from which a restarted replica rebuilds it. */
  private static final class Store implements QueueWrites {
    QueueProgress progress;
    final Map<Long, QueueRecord> records = new TreeMap<>();

    @Override
    public void putProgress(QueueProgress p) {
      progress = p;
    }

    @Override
    public void putQueueRecord(String group, QueueRecord record) {
      records.put(record.getOffset(), record);
    }

    @Override
    public void deleteQueueRecord(String group, long offset) {
      records.remove(offset);
    }

    QueueLedger reload() {
      return new QueueLedger(progress, List.copyOf(records.values()));
    }
  }

  private final Store store = new Store();
  private final QueueLedger ledger = QueueLedger.start("jobs", POLICY, 0, 1, store);

  private List<Delivery> acquire(String consumer, int max, long end, long now) {
    return ledger.acquire(consumer, max, end, now, NO_KEYS, store);
  }

  private SettleOutcome settle(String consumer, Delivery d, SettleAction action, long now) {
    return ledger.settle(consumer, d.offset(), d.deliveries(), action, 0, "failed", now, store);
  }

  private List<QueueRecord> deadLetters(int max) {
    return ledger.unfinished().stream()
        .filter(r -> r.getState() == QueueRecordState.QUEUE_RECORD_DEAD)
        .limit(max)
        .toList();
  }

  private static List<Long> offsets(List<Delivery> deliveries) {
    return deliveries.stream().map(Delivery::offset).toList();
  }

  @Test
  void consumersShareTheRecordsAndAcksFinishThem() {
    List<Delivery> a = acquire("a", 3, 10, 0);
    List<Delivery> b = acquire("b", 3, 10, 0);
    assertThat(offsets(a)).containsExactly(0L, 1L, 2L);
    assertThat(offsets(b)).containsExactly(3L, 4L, 5L);
    assertThat(a).allSatisfy(d -> assertThat(d.deliveries()).isEqualTo(1));
    assertThat(a.get(0).leaseEndsMs()).isEqualTo(LEASE_MS);
    a.forEach(d -> assertThat(settle("a", d, SettleAction.SETTLE_ACK, 10)).isEqualTo(SettleOutcome.SETTLED));
    assertThat(ledger.progress().getFloor()).isEqualTo(3);
    assertThat(ledger.progress().getCursor()).isEqualTo(6);
    assertThat(ledger.leased()).isEqualTo(3);
  }

  @Test
  void oneStuckRecordHoldsOnlyItselfAndTheStateIsOnlyTheUnfinished() {
    Delivery stuck = acquire("a", 1, 1_000, 0).get(0);
    for (int round = 0; round < 20; round++) {
      for (Delivery d : acquire("b", 40, 1_000, 1)) {
        settle("b", d, SettleAction.SETTLE_ACK, 1);
      }
    }
    assertThat(ledger.progress().getCursor()).isEqualTo(801);
    assertThat(ledger.progress().getFloor()).isEqualTo(stuck.offset());
    assertThat(ledger.unfinished()).singleElement().extracting(QueueRecord::getOffset).isEqualTo(0L);
  }

  @Test
  void aNackRetriesAfterTheBackoffAndAnExplicitDelayWins() {
    Delivery first = acquire("a", 1, 10, 0).get(0);
    assertThat(settle("a", first, SettleAction.SETTLE_NACK, 0)).isEqualTo(SettleOutcome.SETTLED);
    long wait = QueueLedger.backoffMs(POLICY, 0, 1);
    assertThat(wait).isBetween(90L, 110L);
    assertThat(offsets(acquire("a", 1, 1, wait - 1))).as("not before the back-off").isEmpty();
    Delivery second = acquire("b", 1, 1, wait).get(0);
    assertThat(second.offset()).isZero();
    assertThat(second.deliveries()).isEqualTo(2);

    ledger.settle("b", 0, 2, SettleAction.SETTLE_NACK, 5_000, "busy", wait, store);
    assertThat(acquire("b", 1, 1, wait + 4_999)).isEmpty();
    assertThat(acquire("b", 1, 1, wait + 5_000)).singleElement().extracting(Delivery::deliveries).isEqualTo(3);
  }

  @Test
  void retriesComeBeforeNewRecords() {
    Delivery d = acquire("a", 1, 10, 0).get(0);
    settle("a", d, SettleAction.SETTLE_NACK, 0);
    assertThat(offsets(acquire("a", 2, 10, 1_000))).containsExactly(0L, 1L);
  }

  @Test
  void aLeaseEndsAtLogTimeAndTheRecordIsDeliveredAgain() {
    acquire("a", 1, 10, 0);
    assertThat(offsets(acquire("b", 1, 1, LEASE_MS - 1))).isEmpty();
    List<Delivery> again = acquire("b", 1, 1, LEASE_MS);
    assertThat(again).singleElement().satisfies(d -> {
      assertThat(d.offset()).isZero();
      assertThat(d.deliveries()).isEqualTo(2);
    });
  }

  @Test
  void atTheDeliveryLimitARecordIsDeadLetteredWithTheLastReasonAndRedriveBringsItBack() {
    long now = 0;
    for (int delivery = 1; delivery <= 3; delivery++) {
      Delivery d = acquire("a", 1, 1, now).get(0);
      assertThat(d.deliveries()).isEqualTo(delivery);
      ledger.settle("a", 0, delivery, SettleAction.SETTLE_NACK, 0, "attempt " + delivery + " failed", now, store);
      now += 1_000;
    }
    assertThat(acquire("a", 1, 1, now)).isEmpty();
    assertThat(ledger.dead()).isEqualTo(1);
    assertThat(deadLetters(10)).singleElement().satisfies(r -> {
      assertThat(r.getDeadReason()).isEqualTo(QueueLedger.DEAD_MAX_DELIVERIES);
      assertThat(r.getLastError()).isEqualTo("attempt 3 failed");
      assertThat(r.getDeliveries()).isEqualTo(3);
      assertThat(r.getDeadAtMs()).isEqualTo(2_000);
    });

    assertThat(ledger.redrive(now, store)).isEqualTo(1);
    assertThat(acquire("a", 1, 1, now)).singleElement().extracting(Delivery::deliveries).isEqualTo(1);
  }

  @Test
  void deadLettersAreNumberedAndOfferedForExportInThatOrderUntilMarked() {
    List<Delivery> poison = acquire("a", 4, 4, 0);
    for (int i : new int[] {2, 0, 3, 1}) {
      ledger.settle("a", poison.get(i).offset(), 1, SettleAction.SETTLE_REJECT, 0, "bad " + i, 0, store);
    }
    assertThat(ledger.toExport(10)).extracting(QueueRecord::getOffset).containsExactly(2L, 0L, 3L, 1L);
    assertThat(ledger.toExport(10)).extracting(QueueRecord::getDeadLetterSequence).containsExactly(0L, 1L, 2L, 3L);

    ledger.markExported(2, store);
    assertThat(ledger.toExport(10)).extracting(QueueRecord::getOffset).containsExactly(3L, 1L);
    ledger.markExported(1, store);
    assertThat(ledger.progress().getExportedDeadLetters()).as("a late, lower mark changes nothing").isEqualTo(2);
    assertThat(store.reload().toExport(10)).extracting(QueueRecord::getOffset).containsExactly(3L, 1L);
    assertThat(ledger.dead()).as("exported dead letters stay listable and redrivable").isEqualTo(4);

    ledger.redrive(0, store);
    assertThat(ledger.toExport(10)).as("a redriven dead letter is no longer one").isEmpty();
    Delivery again = acquire("a", 1, 4, 0).get(0);
    ledger.settle("a", again.offset(), again.deliveries(), SettleAction.SETTLE_REJECT, 0, "still bad", 0, store);
    assertThat(ledger.toExport(10)).singleElement().satisfies(r -> {
      assertThat(r.getOffset()).isEqualTo(again.offset());
      assertThat(r.getDeadLetterSequence()).as("dead again: a new dead letter, exported again").isEqualTo(4);
    });
  }

  @Test
  void aLeaseThatEndsAtTheLimitIsDeadLetteredAndRejectDeadLettersAtOnce() {
    long now = 0;
    for (int delivery = 1; delivery <= 3; delivery++) {
      acquire("a", 1, 1, now);
      now += LEASE_MS;
    }
    ledger.expireDue(now, store);
    assertThat(deadLetters(1)).singleElement().extracting(QueueRecord::getDeliveries).isEqualTo(3);

    Delivery poison = acquire("a", 1, 2, now).get(0);
    ledger.settle("a", poison.offset(), 1, SettleAction.SETTLE_REJECT, 0, "x".repeat(300), now, store);
    assertThat(deadLetters(10)).hasSize(2).last().satisfies(r -> {
      assertThat(r.getDeadReason()).isEqualTo(QueueLedger.DEAD_REJECTED);
      assertThat(r.getLastError()).hasSize(QueueLedger.MAX_REASON_BYTES);
    });
  }

  @Test
  void aSettlementForAnotherDeliveryOrConsumerChangesNothing() {
    Delivery first = acquire("a", 1, 1, 0).get(0);
    assertThat(settle("b", first, SettleAction.SETTLE_ACK, 0)).isEqualTo(SettleOutcome.NOT_YOUR_LEASE);
    Delivery second = acquire("b", 1, 1, LEASE_MS).get(0);
    List<QueueRecord> before = ledger.unfinished();
    assertThat(settle("a", first, SettleAction.SETTLE_ACK, LEASE_MS)).isEqualTo(SettleOutcome.STALE_DELIVERY);
    assertThat(ledger.unfinished()).isEqualTo(before);
    assertThat(settle("b", second, SettleAction.SETTLE_ACK, LEASE_MS)).isEqualTo(SettleOutcome.SETTLED);
    assertThat(settle("b", second, SettleAction.SETTLE_ACK, LEASE_MS)).as("a retried ack").isEqualTo(SettleOutcome.ALREADY_DONE);
    assertThat(ledger.settle("b", 7, 1, SettleAction.SETTLE_ACK, 0, "", LEASE_MS, store)).isEqualTo(SettleOutcome.NOT_DELIVERED);
  }

  /**
   * Seen in the fault suite (isolate-leader): a delivery's answer reached its consumer after its
   * lease had ended at the limit, and its ack was accepted while the dead letter was being
   * exported, so the record was done and in the dead-letter topic both.
   */
  @Test
  void anAckAfterTheRecordWasDeadLetteredAtTheLimitChangesNothing() {
    long now = 0;
    Delivery last = null;
    for (int delivery = 1; delivery <= 3; delivery++) {
      last = acquire("a", 1, 1, now).get(0);
      now += LEASE_MS;
    }
    ledger.expireDue(now, store);
    List<QueueRecord> dead = deadLetters(1);
    assertThat(dead).singleElement().extracting(QueueRecord::getDeliveries).isEqualTo(3);

    assertThat(settle("a", last, SettleAction.SETTLE_ACK, now)).isEqualTo(SettleOutcome.STALE_DELIVERY);
    assertThat(deadLetters(1)).as("still a dead letter, to export once").isEqualTo(dead);
  }

  @Test
  void anAckAfterTheLeaseEndedIsAcceptedWhileNobodyElseHasTheRecord() {
    Delivery d = acquire("a", 1, 1, 0).get(0);
    ledger.expireDue(LEASE_MS, store);
    assertThat(settle("a", d, SettleAction.SETTLE_NACK, LEASE_MS)).isEqualTo(SettleOutcome.STALE_DELIVERY);
    assertThat(settle("a", d, SettleAction.SETTLE_ACK, LEASE_MS)).isEqualTo(SettleOutcome.LATE_ACK_ACCEPTED);
    assertThat(ledger.unfinished()).isEmpty();
  }

  @Test
  void renewingKeepsTheLeaseAndReleasingDoesNotCountTheDelivery() {
    Delivery d = acquire("a", 1, 1, 0).get(0);
    assertThat(settle("a", d, SettleAction.SETTLE_RENEW, 900)).isEqualTo(SettleOutcome.SETTLED);
    assertThat(acquire("b", 1, 1, 1_500)).as("renewed until 1,900").isEmpty();
    assertThat(settle("a", d, SettleAction.SETTLE_RELEASE, 1_600)).isEqualTo(SettleOutcome.SETTLED);
    assertThat(acquire("b", 1, 1, 1_600)).singleElement().extracting(Delivery::deliveries).isEqualTo(1);
  }

  @Test
  void theCapsStopNewDeliveries() {
    assertThat(acquire("a", 80, 1_000, 0)).as("the leased cap").hasSize(POLICY.getMaxLeased());
    assertThat(acquire("b", 80, 1_000, 0)).isEmpty();
    for (long offset = 0; offset < 50; offset++) {
      ledger.settle("a", offset, 1, SettleAction.SETTLE_NACK, 10_000, "later", 1, store);
    }
    assertThat(acquire("b", 100, 1_000, 2)).as("50 waiting + 50 new: the unfinished cap").hasSize(50);
    assertThat(acquire("c", 100, 1_000, 2)).isEmpty();
  }

  @Test
  void expiryIsBoundedPerCall() {
    QueueLedger big =
        QueueLedger.start("big", POLICY.toBuilder().setMaxLeased(10_000).setMaxUnfinished(10_000).build(), 0, 1, store);
    big.acquire("a", 5_000, 5_000, 0, NO_KEYS, store);
    big.expireDue(LEASE_MS, store);
    assertThat(big.leased()).isEqualTo(5_000 - QueueLedger.EXPIRE_PER_CALL);
  }

  @Test
  void backoffJitterIsWithinTenPercentAndTheSameOnEveryReplica() {
    for (long offset = 0; offset < 1_000; offset++) {
      assertThat(QueueLedger.backoffMs(POLICY, offset, 2)).isBetween(450L, 550L).isEqualTo(QueueLedger.backoffMs(POLICY, offset, 2));
      assertThat(QueueLedger.backoffMs(POLICY, offset, 9)).as("the last value repeats").isBetween(450L, 550L);
    }
  }

  /**
   * Random consumers acquire and settle; after every step the ledger rebuilt from its store (a
   * restart, or a snapshot installed) equals the live one, and a replica restarted midway that
   * applies the rest reaches the same state.
   */
  @Test
  void aReplicaRebuiltFromTheStoreAgreesWithTheLiveOneAtEveryStep() {
    replayAgrees(ledger, store, NO_KEYS);
  }

  @Test
  void aKeyOrderedReplicaRebuiltFromTheStoreAgreesAndNeverHasTwoRecordsOfAKeyInProgress() {
    Store keyed = new Store();
    replayAgrees(QueueLedger.start("keyed", KEY_ORDERED, 0, 1, keyed), keyed, FEW_KEYS);
  }

  /**
   * Random consumers acquire and settle; after every step the ledger rebuilt from its store (a
   * restart, or a snapshot installed) equals the live one, and a replica restarted midway that
   * applies the rest reaches the same state. In a key-ordered ledger, at every step a key has at
   * most one record leased or waiting for a retry, and one such record whenever it has blocked ones.
   */
  private static void replayAgrees(QueueLedger ledger, Store store, RecordKeys keys) {
    Random random = new Random(7);
    List<Runnable> ops = new ArrayList<>();
    Store restartedStore = new Store();
    QueueLedger[] restarted = new QueueLedger[1];
    Set<QueueRecordState> statesSeen = EnumSet.noneOf(QueueRecordState.class);
    long now = 0;
    for (int step = 0; step < 2_000; step++) {
      now += random.nextInt(200);
      long at = now;
      String consumer = "c" + random.nextInt(3);
      int kind = random.nextInt(10);
      long offset = random.nextInt(400);
      int deliveries = 1 + random.nextInt(3);
      SettleAction action = SettleAction.values()[random.nextInt(SettleAction.values().length)];
      ops.add(() -> {
        if (kind < 4) {
          restarted[0].acquire(consumer, 1 + (int) (offset % 20), 400, at, keys, restartedStore);
        } else if (kind == 9) {
          restarted[0].redrive(at, restartedStore);
        } else if (kind == 8 && offset % 2 == 0) {
          restarted[0].markExported(restarted[0].progress().getDeadLettered() - offset % 3, restartedStore);
        } else {
          restarted[0].settle(consumer, offset, deliveries, action, 0, "r", at, restartedStore);
        }
      });
      if (kind < 4) {
        ledger.acquire(consumer, 1 + (int) (offset % 20), 400, at, keys, store);
      } else if (kind == 9) {
        ledger.redrive(at, store);
      } else if (kind == 8 && offset % 2 == 0) {
        ledger.markExported(ledger.progress().getDeadLettered() - offset % 3, store);
      } else {
        ledger.settle(consumer, offset, deliveries, action, 0, "r", at, store);
      }
      ledger.unfinished().forEach(r -> statesSeen.add(r.getState()));
      QueueLedger reloaded = store.reload();
      assertThat(reloaded.progress()).isEqualTo(ledger.progress());
      assertThat(reloaded.unfinished()).isEqualTo(ledger.unfinished());
      assertThat(reloaded.toExport(Integer.MAX_VALUE)).isEqualTo(ledger.toExport(Integer.MAX_VALUE));
      assertExportsEveryDeadLetterNotMarked(ledger);
      assertOneInProgressPerKey(ledger);
      if (step == 1_000) {
        restartedStore.progress = store.progress;
        restartedStore.records.putAll(store.records);
        restarted[0] = restartedStore.reload();
        ops.clear();
      }
    }
    ops.forEach(Runnable::run);
    assertThat(restarted[0].progress()).isEqualTo(ledger.progress());
    assertThat(restarted[0].unfinished()).isEqualTo(ledger.unfinished());
    assertThat(statesSeen).as("the run went through every state")
        .contains(QueueRecordState.QUEUE_RECORD_LEASED, QueueRecordState.QUEUE_RECORD_AVAILABLE, QueueRecordState.QUEUE_RECORD_DEAD);
    if (keys != NO_KEYS) {
      assertThat(statesSeen).contains(QueueRecordState.QUEUE_RECORD_BLOCKED);
    }
  }

  private static void assertExportsEveryDeadLetterNotMarked(QueueLedger ledger) {
    List<QueueRecord> expected = ledger.unfinished().stream()
        .filter(r -> r.getState() == QueueRecordState.QUEUE_RECORD_DEAD)
        .filter(r -> r.getDeadLetterSequence() >= ledger.progress().getExportedDeadLetters())
        .sorted(Comparator.comparingLong(QueueRecord::getDeadLetterSequence))
        .toList();
    assertThat(ledger.toExport(Integer.MAX_VALUE)).isEqualTo(expected);
    assertThat(ledger.unexported()).isEqualTo(expected.size());
  }

  private static void assertOneInProgressPerKey(QueueLedger ledger) {
    Map<Long, Integer> inProgress = new HashMap<>();
    Set<Long> blockedKeys = new HashSet<>();
    for (QueueRecord r : ledger.unfinished()) {
      if (r.getKeyHash() == RecordKeys.NO_KEY) {
        continue;
      }
      switch (r.getState()) {
        case QUEUE_RECORD_LEASED, QUEUE_RECORD_AVAILABLE -> inProgress.merge(r.getKeyHash(), 1, Integer::sum);
        case QUEUE_RECORD_BLOCKED -> blockedKeys.add(r.getKeyHash());
        default -> {}
      }
    }
    assertThat(inProgress.values()).as("records of one key in progress").allMatch(n -> n == 1);
    assertThat(inProgress.keySet()).as("a key with blocked records has one in progress").containsAll(blockedKeys);
  }

  @Test
  void countsAcksRedeliveriesAndDeadLettersAndKeepsThemAcrossARestart() {
    List<Delivery> first = acquire("a", 3, 10, 0);
    settle("a", first.get(0), SettleAction.SETTLE_ACK, 10);
    settle("a", first.get(1), SettleAction.SETTLE_NACK, 10);
    settle("a", first.get(2), SettleAction.SETTLE_REJECT, 10);
    List<Delivery> retry = acquire("b", 1, 10, 10_000);
    assertThat(retry).singleElement().satisfies(d -> assertThat(d.offset()).isEqualTo(1));
    settle("b", retry.get(0), SettleAction.SETTLE_RELEASE, 10_000);
    settle("b", acquire("b", 1, 10, 10_001).get(0), SettleAction.SETTLE_ACK, 10_001);

    QueueProgress p = ledger.progress();
    assertThat(p.getAcked()).isEqualTo(2);
    assertThat(p.getRedelivered()).as("the retry and the delivery after the release").isEqualTo(2);
    assertThat(p.getDeadLettered()).isEqualTo(1);
    assertThat(ledger.dead()).isEqualTo(1);
    assertThat(store.reload().progress()).isEqualTo(p);
  }

  @Test
  void keyOrderedDeliversARecordOfAKeyOnlyAfterTheOneBeforeIsDone() {
    QueueLedger keyed = QueueLedger.start("keyed", KEY_ORDERED, 0, 1, store);
    RecordKeys twoKeys = (from, count) -> LongStream.range(from, from + count).map(offset -> 1 + offset % 2).toArray();
    List<Delivery> first = keyed.acquire("a", 10, 6, 0, twoKeys, store);
    assertThat(offsets(first)).as("one per key").containsExactly(0L, 1L);
    assertThat(keyed.blocked()).isEqualTo(4);
    assertThat(keyed.acquire("b", 10, 6, 0, twoKeys, store)).as("both keys in progress").isEmpty();

    assertThat(keyed.settle("a", 0, 1, SettleAction.SETTLE_ACK, 0, "", 1, store)).isEqualTo(SettleOutcome.SETTLED);
    assertThat(keyed.settle("a", 1, 1, SettleAction.SETTLE_NACK, 0, "later", 1, store)).isEqualTo(SettleOutcome.SETTLED);
    assertThat(offsets(keyed.acquire("b", 10, 6, 1, twoKeys, store)))
        .as("key 1 moves on; key 2 waits for its nacked record's retry")
        .containsExactly(2L);
    assertThat(keyed.settle("b", 3, 1, SettleAction.SETTLE_ACK, 0, "", 1, store))
        .as("a blocked record was never delivered").isEqualTo(SettleOutcome.NOT_DELIVERED);
    assertThat(offsets(keyed.acquire("b", 10, 6, 1_000, twoKeys, store))).as("the retry, in order").containsExactly(1L);
  }

  @Test
  void aPoisonKeyWaitsOnlyForItselfAndFlowsOnceItsRecordIsDeadLettered() {
    QueueLedger keyed = QueueLedger.start("keyed", KEY_ORDERED, 0, 1, store);
    // Offsets 0-9: key 1 (the poison, at 0) for even offsets, key 2 for odd ones.
    RecordKeys twoKeys = (from, count) -> LongStream.range(from, from + count).map(offset -> 1 + offset % 2).toArray();
    long now = 0;
    List<Long> acked = new ArrayList<>();
    for (int round = 0; round < 10; round++) {
      now += 1_000;
      for (Delivery d : keyed.acquire("a", 10, 10, now, twoKeys, store)) {
        SettleAction action = d.offset() == 0 ? SettleAction.SETTLE_NACK : SettleAction.SETTLE_ACK;
        keyed.settle("a", d.offset(), d.deliveries(), action, 0, "poison", now, store);
        if (action == SettleAction.SETTLE_ACK) {
          acked.add(d.offset());
        }
      }
    }
    assertThat(acked).as("key 2 in order, then key 1's later records after its poison died")
        .containsSubsequence(1L, 3L, 5L, 7L, 9L)
        .containsSubsequence(2L, 4L, 6L, 8L)
        .hasSize(9);
    assertThat(keyed.dead()).isEqualTo(1);
    assertThat(keyed.progress().getFloor()).isZero();
  }

  @Test
  void blockedRecordsCountTowardTheUnfinishedBound() {
    QueueLedger keyed = QueueLedger.start("keyed", KEY_ORDERED, 0, 1, store);
    RecordKeys oneKey = (from, count) -> LongStream.range(from, from + count).map(offset -> 42).toArray();
    assertThat(keyed.acquire("a", 50, 1_000, 0, oneKey, store)).hasSize(1);
    assertThat(keyed.unfinished()).as("POLICY's max unfinished").hasSize(100);
    assertThat(keyed.progress().getCursor()).isEqualTo(100);
  }
}
