package io.ordo.raft.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.raft.v1.QueueProgress;
import io.ordo.proto.raft.v1.QueueRecord;
import io.ordo.proto.raft.v1.QueueRecordState;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.SettleAction;
import io.ordo.proto.v1.SettleOutcome;
import io.ordo.raft.queue.QueueLedger.Delivery;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
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
  private final QueueLedger ledger = QueueLedger.start("jobs", POLICY, 0, store);

  private List<Delivery> acquire(String consumer, int max, long end, long now) {
    return ledger.acquire(consumer, max, end, now, store);
  }

  private SettleOutcome settle(String consumer, Delivery d, SettleAction action, long now) {
    return ledger.settle(consumer, d.offset(), d.deliveries(), action, 0, "failed", now, store);
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
    assertThat(ledger.deadLetters(10)).singleElement().satisfies(r -> {
      assertThat(r.getDeadReason()).isEqualTo(QueueLedger.DEAD_MAX_DELIVERIES);
      assertThat(r.getLastError()).isEqualTo("attempt 3 failed");
      assertThat(r.getDeliveries()).isEqualTo(3);
      assertThat(r.getDeadAtMs()).isEqualTo(2_000);
    });

    assertThat(ledger.redrive(now, store)).isEqualTo(1);
    assertThat(acquire("a", 1, 1, now)).singleElement().extracting(Delivery::deliveries).isEqualTo(1);
  }

  @Test
  void aLeaseThatEndsAtTheLimitIsDeadLetteredAndRejectDeadLettersAtOnce() {
    long now = 0;
    for (int delivery = 1; delivery <= 3; delivery++) {
      acquire("a", 1, 1, now);
      now += LEASE_MS;
    }
    ledger.expireDue(now, store);
    assertThat(ledger.deadLetters(1)).singleElement().extracting(QueueRecord::getDeliveries).isEqualTo(3);

    Delivery poison = acquire("a", 1, 2, now).get(0);
    ledger.settle("a", poison.offset(), 1, SettleAction.SETTLE_REJECT, 0, "x".repeat(300), now, store);
    assertThat(ledger.deadLetters(10)).hasSize(2).last().satisfies(r -> {
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
        QueueLedger.start("big", POLICY.toBuilder().setMaxLeased(10_000).setMaxUnfinished(10_000).build(), 0, store);
    big.acquire("a", 5_000, 5_000, 0, store);
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
          restarted[0].acquire(consumer, 1 + (int) (offset % 20), 400, at, restartedStore);
        } else if (kind == 9) {
          restarted[0].redrive(at, restartedStore);
        } else {
          restarted[0].settle(consumer, offset, deliveries, action, 0, "r", at, restartedStore);
        }
      });
      if (kind < 4) {
        ledger.acquire(consumer, 1 + (int) (offset % 20), 400, at, store);
      } else if (kind == 9) {
        ledger.redrive(at, store);
      } else {
        ledger.settle(consumer, offset, deliveries, action, 0, "r", at, store);
      }
      ledger.unfinished().forEach(r -> statesSeen.add(r.getState()));
      QueueLedger reloaded = store.reload();
      assertThat(reloaded.progress()).isEqualTo(ledger.progress());
      assertThat(reloaded.unfinished()).isEqualTo(ledger.unfinished());
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
  }
}
