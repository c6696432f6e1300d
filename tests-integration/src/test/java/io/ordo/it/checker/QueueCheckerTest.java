package io.ordo.it.checker;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.it.history.PartitionRead;
import io.ordo.it.history.QueueEvent;
import io.ordo.it.history.QueueEvent.Kind;
import io.ordo.proto.v1.SettleOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The queue checker passes a good history and catches each kind of anomaly planted in one. */
class QueueCheckerTest {
  /** Partition 0: a1, b1, a2, b2 (key = the letter). */
  private static final Map<Integer, List<PartitionRead>> LOG = Map.of(0, List.of(
      new PartitionRead(0, 0, "a1"), new PartitionRead(0, 1, "b1"), new PartitionRead(0, 2, "a2"),
      new PartitionRead(0, 3, "b2")));
  private static final Function<String, String> KEY = value -> value.substring(0, 1);

  private final List<QueueEvent> events = new ArrayList<>();
  private long now;

  private void received(int process, long offset, String value, int deliveries) {
    events.add(new QueueEvent(process, Kind.RECEIVED, 0, offset, value, deliveries, ++now, now, null));
  }

  private void settled(int process, Kind kind, long offset, String value, int deliveries, SettleOutcome outcome) {
    events.add(new QueueEvent(process, kind, 0, offset, value, deliveries, ++now, ++now, outcome));
  }

  /** a1 nacked then acked, b1 acked, then the second records of each key. */
  private void goodRun() {
    received(1, 0, "a1", 1);
    received(2, 1, "b1", 1);
    settled(1, Kind.NACK, 0, "a1", 1, SettleOutcome.SETTLED);
    settled(2, Kind.ACK, 1, "b1", 1, SettleOutcome.SETTLED);
    received(2, 3, "b2", 1);
    received(1, 0, "a1", 2);
    settled(1, Kind.ACK, 0, "a1", 2, null); // the answer was lost; it took effect
    received(1, 2, "a2", 1);
    settled(1, Kind.ACK, 2, "a2", 1, SettleOutcome.SETTLED);
    settled(2, Kind.ACK, 3, "b2", 1, SettleOutcome.SETTLED);
  }

  @Test
  void aGoodRunIsValid() {
    goodRun();
    QueueCheckResult result = QueueChecker.check(events, LOG, Set.of(), Map.of(), KEY, true);
    assertThat(result.valid()).as(result.summary()).isTrue();
    assertThat(result.receipts()).isEqualTo(5);
  }

  @Test
  void aDeadLetterNeedsNoAckAndReleasesItsKey() {
    received(1, 0, "a1", 1);
    settled(1, Kind.NACK, 0, "a1", 1, SettleOutcome.SETTLED); // the limit: dead
    received(1, 2, "a2", 1);
    settled(1, Kind.ACK, 2, "a2", 1, SettleOutcome.SETTLED);
    received(2, 1, "b1", 1);
    settled(2, Kind.ACK, 1, "b1", 1, SettleOutcome.SETTLED);
    received(2, 3, "b2", 1);
    settled(2, Kind.ACK, 3, "b2", 1, SettleOutcome.SETTLED);
    QueueCheckResult result = QueueChecker.check(events, LOG, Set.of("0@0"), Map.of("0@0", 1), KEY, true);
    assertThat(result.valid()).as(result.summary()).isTrue();
  }

  @Test
  void catchesADeadLetterExportedTwiceOrNotAtAllAndAnExportOfAnythingElse() {
    goodRun();
    assertThat(QueueChecker.check(events, LOG, Set.of("0@0"), Map.of("0@0", 2), KEY, true).badExports())
        .singleElement().asString().contains("2 times");
    assertThat(QueueChecker.check(events, LOG, Set.of("0@0"), Map.of(), KEY, true).badExports())
        .singleElement().asString().contains("0 times");
    assertThat(QueueChecker.check(events, LOG, Set.of(), Map.of("0@1", 1), KEY, true).badExports())
        .singleElement().asString().contains("not a dead letter");
  }

  @Test
  void catchesAPhantom() {
    goodRun();
    received(3, 3, "b3", 2);
    assertThat(QueueChecker.check(events, LOG, Set.of(), Map.of(), KEY, true).phantoms()).hasSize(1);
  }

  @Test
  void catchesADeliveryLeasedTwice() {
    goodRun();
    received(3, 0, "a1", 2);
    assertThat(QueueChecker.check(events, LOG, Set.of(), Map.of(), KEY, true).doubleLeases()).hasSize(1);
  }

  @Test
  void catchesARecordFinishedTwiceOrFinishedAndDead() {
    goodRun();
    settled(3, Kind.ACK, 1, "b1", 2, SettleOutcome.LATE_ACK_ACCEPTED);
    assertThat(QueueChecker.check(events, LOG, Set.of("0@3"), Map.of(), KEY, true).doubleAcks()).hasSize(2);
  }

  @Test
  void catchesALostRecordAndAnUndrainedGroup() {
    goodRun();
    events.removeIf(e -> e.offset() == 3 && e.kind() == Kind.ACK);
    QueueCheckResult result = QueueChecker.check(events, LOG, Set.of(), Map.of(), KEY, false);
    assertThat(result.lost()).singleElement().asString().contains("b2");
    assertThat(result.valid()).isFalse();
  }

  @Test
  void catchesARecordReceivedBeforeTheOneBeforeItInItsKeyWasAcked() {
    received(1, 0, "a1", 1);
    received(2, 2, "a2", 1); // a1 is still leased
    settled(1, Kind.ACK, 0, "a1", 1, SettleOutcome.SETTLED);
    settled(2, Kind.ACK, 2, "a2", 1, SettleOutcome.SETTLED);
    received(1, 1, "b1", 1);
    settled(1, Kind.ACK, 1, "b1", 1, SettleOutcome.SETTLED);
    received(1, 3, "b2", 1);
    settled(1, Kind.ACK, 3, "b2", 1, SettleOutcome.SETTLED);
    assertThat(QueueChecker.check(events, LOG, Set.of(), Map.of(), KEY, true).outOfOrder()).singleElement().asString()
        .contains("a2");
  }
}
