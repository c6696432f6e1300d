package io.ordo.it.checker;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.it.history.Op;
import io.ordo.it.history.PartitionRead;
import io.ordo.it.workload.FetchingReaders;
import io.ordo.it.workload.Writers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The checker must catch each anomaly on a crafted history, and pass a clean one. */
class LogCheckerTest {
  private final List<Op> history = new ArrayList<>();
  private long time;

  private void write(String value, Op.Type outcome, int partition, long offset) {
    history.add(Op.invoke(0, Writers.F_WRITE, value, time++));
    history.add(new Op(0, outcome, Writers.F_WRITE, value, partition, offset, time++, null));
  }

  /** A fetch by reader 100 from {@code from} that returned {@code records}. */
  private void fetch(long from, PartitionRead... records) {
    history.add(new Op(100, Op.Type.INVOKE, FetchingReaders.F_READ, null, 0, from, time++, null));
    history.add(new Op(100, Op.Type.OK, FetchingReaders.F_READ, null, 0, from, time++, null, List.of(records)));
  }

  private static PartitionRead read(long offset, String value) {
    return new PartitionRead(0, offset, value);
  }

  private CheckResult check(List<PartitionRead> log, List<PartitionRead> observed, boolean idempotent) {
    return LogChecker.check(history, Map.of(0, log), Map.of(0, log), observed, Map.of(), idempotent);
  }

  @Test
  void cleanRunIsValid() {
    write("w0-0", Op.Type.OK, 0, 0);
    write("w0-1", Op.Type.INFO, -1, -1);
    write("w0-2", Op.Type.OK, 0, 1);
    CheckResult result = check(List.of(read(0, "w0-0"), read(1, "w0-2")), List.of(read(0, "w0-0")), true);
    assertThat(result.valid()).as(result.summary()).isTrue();
    assertThat(result.acknowledged()).isEqualTo(2);
    assertThat(result.indeterminate()).isEqualTo(1);
  }

  @Test
  void acknowledgedWriteMissingFromTheLogIsLost() {
    write("w0-0", Op.Type.OK, 0, 0);
    write("w0-1", Op.Type.OK, 0, 1);
    CheckResult result = check(List.of(read(0, "w0-0")), List.of(), true);
    assertThat(result.valid()).isFalse();
    assertThat(result.lost()).singleElement().asString().contains("w0-1");
  }

  @Test
  void acknowledgedAtOneOffsetButStoredAtAnotherIsLost() {
    write("w0-0", Op.Type.OK, 0, 5);
    CheckResult result = check(List.of(read(0, "w0-0")), List.of(), true);
    assertThat(result.lost()).hasSize(1);
  }

  @Test
  void duplicatesFailOnlyAnIdempotentRun() {
    write("w0-0", Op.Type.OK, 0, 0);
    List<PartitionRead> log = List.of(read(0, "w0-0"), read(1, "w0-0"));
    assertThat(check(log, List.of(), true).valid()).isFalse();
    CheckResult atLeastOnce = check(log, List.of(), false);
    assertThat(atLeastOnce.duplicates()).hasSize(1);
    assertThat(atLeastOnce.valid()).isTrue();
  }

  @Test
  void gapsPhantomsResurrectionsAndReordersAreAnomalies() {
    write("w0-0", Op.Type.OK, 0, 0);
    write("w0-8", Op.Type.FAIL, -1, -1);
    CheckResult gap = check(List.of(read(0, "w0-0"), read(2, "w0-8")), List.of(), true);
    assertThat(gap.gaps()).hasSize(1);
    assertThat(gap.resurrected()).hasSize(1);

    CheckResult phantom = check(List.of(read(0, "w0-0"), read(1, "w9-9")), List.of(), true);
    assertThat(phantom.phantoms()).hasSize(1);

    history.add(Op.invoke(0, Writers.F_WRITE, "w0-16", time++));
    // w0-16 and w0-0 share key 0 of writer 0: 16 before 0 is out of order.
    CheckResult reorder = check(List.of(read(0, "w0-16"), read(1, "w0-0")), List.of(), true);
    assertThat(reorder.reorders()).hasSize(1);
    assertThat(reorder.valid()).isFalse();
  }

  /** Invokes of {@code values} together, as one batch, then their completions. */
  private void batch(Op.Type outcome, int partition, long baseOffset, String... values) {
    for (String value : values) {
      history.add(Op.invoke(2, Writers.F_WRITE, value, time++));
    }
    for (int i = 0; i < values.length; i++) {
      history.add(new Op(2, outcome, Writers.F_WRITE, values[i], partition, baseOffset + i, time++, null));
    }
  }

  private static List<PartitionRead> log(String... values) {
    List<PartitionRead> log = new ArrayList<>();
    for (String value : values) {
      log.add(read(log.size(), value));
    }
    return log;
  }

  @Test
  void aRetriedBatchCommittedTwiceIsADuplicateNotAReorder() {
    // One key of writer 2 (n mod 8 = 4); the first attempt timed out but was committed, the retry
    // was committed again after another writer's records, and only then did writer 2 move on.
    write("w0-1", Op.Type.OK, 0, 4);
    batch(Op.Type.OK, 0, 5, "w2-5756", "w2-5764", "w2-5772", "w2-5780");
    batch(Op.Type.OK, 0, 9, "w2-5788");
    List<PartitionRead> log = log("w2-5756", "w2-5764", "w2-5772", "w2-5780", "w0-1",
        "w2-5756", "w2-5764", "w2-5772", "w2-5780", "w2-5788");
    CheckResult atLeastOnce = check(log, List.of(), false);
    assertThat(atLeastOnce.valid()).as(atLeastOnce.summary()).isTrue();
    assertThat(atLeastOnce.duplicates()).hasSize(4);
    assertThat(atLeastOnce.reorders()).isEmpty();
    assertThat(check(log, List.of(), true).valid()).as("idempotent: duplicates are anomalies").isFalse();
  }

  @Test
  void aCopyCommittedAfterItsWriterMovedOnIsALateCommit() {
    batch(Op.Type.INFO, -1, -1, "w2-5756", "w2-5764");
    batch(Op.Type.OK, 0, 0, "w2-5772");
    // w2-5772 was sent only once the first batch had completed: a copy of that batch after it was
    // committed after its caller had its answer.
    CheckResult unknown = check(log("w2-5772", "w2-5756", "w2-5764"), List.of(), false);
    assertThat(unknown.lateCommits()).hasSize(2).first().asString()
        .contains("w2-5756 at 0/1 after w2-5772").contains("(info)");
    assertThat(unknown.reorders()).as("the same key's w2-5772 came first").hasSize(1);
    assertThat(unknown.valid()).isFalse();

    history.clear();
    batch(Op.Type.OK, 0, 0, "w2-5756");
    batch(Op.Type.OK, 0, 1, "w2-5764");
    CheckResult duplicated = check(log("w2-5756", "w2-5764", "w2-5756"), List.of(), false);
    assertThat(duplicated.lateCommits()).singleElement().asString().contains("w2-5756 at 0/2 after w2-5764");
    assertThat(duplicated.valid()).isFalse();
  }

  @Test
  void readersThatDisagreeAreDivergent() {
    write("w0-0", Op.Type.OK, 0, 0);
    write("w0-1", Op.Type.INFO, -1, -1);
    List<PartitionRead> log = List.of(read(0, "w0-0"));
    CheckResult sawUncommitted = check(log, List.of(read(0, "w0-0"), read(1, "w0-1")), true);
    assertThat(sawUncommitted.divergences()).hasSize(1);

    CheckResult finalReadersDisagree =
        LogChecker.check(history, Map.of(0, log), Map.of(0, List.of(read(0, "w0-1"))), List.of(), Map.of(), true);
    assertThat(finalReadersDisagree.divergences()).isNotEmpty();
  }

  @Test
  void fetchesThatGoBackSkipOrDisagreeWithTheLogAreAnomalies() {
    write("w0-0", Op.Type.OK, 0, 0);
    write("w0-1", Op.Type.OK, 0, 1);
    write("w0-2", Op.Type.FAIL, -1, -1);
    List<PartitionRead> log = List.of(read(0, "w0-0"), read(1, "w0-1"));

    fetch(0, read(0, "w0-0"));
    fetch(1, read(1, "w0-1"));
    fetch(2);
    assertThat(check(log, List.of(), true).valid()).as("contiguous fetches of the log").isTrue();

    fetch(2, read(1, "w0-1"));
    CheckResult backwards = check(log, List.of(), true);
    assertThat(backwards.gaps()).as("handed 0/1 when 0/2 was asked for, after 0/1 was read")
        .hasSize(2).allMatch(g -> g.contains("reader 100"));

    history.subList(history.size() - 2, history.size()).clear();
    fetch(2, read(2, "w0-2"));
    CheckResult resurrected = check(log, List.of(), true);
    assertThat(resurrected.divergences()).hasSize(1);
    assertThat(resurrected.resurrected()).singleElement().asString().contains("read by reader 100");
  }

  @Test
  void aSubscriberHandedOffsetsOutOfSequenceIsAnAnomaly() {
    write("w0-0", Op.Type.OK, 0, 0);
    write("w0-1", Op.Type.OK, 0, 1);
    List<PartitionRead> log = List.of(read(0, "w0-0"), read(1, "w0-1"));
    assertThat(check(log, List.of(read(1, "w0-1")), true).gaps()).as("skipped offset 0").hasSize(1);
    assertThat(check(log, List.of(read(0, "w0-0"), read(1, "w0-1"), read(1, "w0-1")), true).gaps())
        .as("handed offset 1 twice").hasSize(1);
  }

  @Test
  void readAvailabilityCountsFetchesOnly() {
    write("w0-0", Op.Type.OK, 0, 0);
    fetch(0, read(0, "w0-0"));
    history.add(new Op(100, Op.Type.INVOKE, FetchingReaders.F_READ, null, 0, 1, time++, null));
    history.add(new Op(100, Op.Type.INFO, FetchingReaders.F_READ, null, 0, 1, time++, "timed out"));
    CheckResult result = check(List.of(read(0, "w0-0")), List.of(), true);
    assertThat(result.reads()).isEqualTo(1);
    assertThat(result.readAvailability()).isEqualTo(0.5);
    assertThat(result.availability()).isEqualTo(1.0);
    assertThat(result.indeterminate()).as("unknown writes, not reads").isZero();
  }

  @Test
  void writeAvailabilityIsSplitByWhetherAFaultWasInPlace() {
    write("w0-0", Op.Type.OK, 0, 0);
    history.add(new Op(Op.NEMESIS, Op.Type.INFO, "fault", "KILL_RANDOM node 1", -1, -1, time++, null));
    write("w0-1", Op.Type.INFO, -1, -1);
    write("w0-2", Op.Type.OK, 0, 1);
    history.add(new Op(Op.NEMESIS, Op.Type.INFO, "heal", "start node 1", -1, -1, time++, null));
    write("w0-3", Op.Type.OK, 0, 2);
    CheckResult result = check(List.of(read(0, "w0-0"), read(1, "w0-2"), read(2, "w0-3")), List.of(), true);
    assertThat(result.availabilityDuringFaults()).isEqualTo(0.5);
    assertThat(result.availabilityOutsideFaults()).isEqualTo(1.0);
    assertThat(result.availability()).isEqualTo(0.75);
  }

  @Test
  void recoveryIsTimedFromEachHealToTheNextSuccess() {
    history.add(new Op(Op.NEMESIS, Op.Type.INFO, "heal", null, -1, -1, 1_000_000_000L, null));
    history.add(Op.invoke(0, Writers.F_WRITE, "w0-0", 1_100_000_000L));
    history.add(new Op(0, Op.Type.OK, Writers.F_WRITE, "w0-0", 0, 0, 1_250_000_000L, null));
    CheckResult result = check(List.of(read(0, "w0-0")), List.of(), true);
    assertThat(result.worstRecoveryMillis()).isEqualTo(250);
    assertThat(result.availability()).isEqualTo(1.0);
  }
}
