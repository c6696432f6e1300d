package io.ordo.it.checker;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.it.history.Op;
import io.ordo.it.history.PartitionRead;
import io.ordo.it.workload.GroupReaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The group checker must catch each anomaly on a crafted history, and pass a clean one. */
class GroupCheckerTest {
  private static final int A = 200;
  private static final int B = 201;

  private final List<Op> history = new ArrayList<>();
  private final Map<Long, String> log = new TreeMap<>();
  private long time;

  GroupCheckerTest() {
    for (long offset = 0; offset < 10; offset++) {
      log.put(offset, "v" + offset);
    }
  }

  /** The member claims partition 0 in a poll, as GroupMember does. */
  private void assigned(int member) {
    history.add(new Op(member, Op.Type.INVOKE, GroupReaders.F_POLL, null, -1, -1, time++, null));
    assignedInThePollUnderWay(member);
  }

  private void assignedInThePollUnderWay(int member) {
    history.add(new Op(member, Op.Type.OK, GroupReaders.F_ASSIGNED, null, 0, -1, time++, null));
  }

  private void released(int member) {
    history.add(new Op(member, Op.Type.OK, GroupReaders.F_RELEASED, "revoked", 0, -1, time++, null));
  }

  /** A poll of partition 0 that returned offsets {@code from} to {@code to} with the log's values. */
  private void poll(int member, long from, long to) {
    List<PartitionRead> reads = new ArrayList<>();
    for (long offset = from; offset <= to; offset++) {
      reads.add(new PartitionRead(0, offset, log.get(offset)));
    }
    poll(member, reads);
  }

  private void poll(int member, List<PartitionRead> reads) {
    history.add(new Op(member, Op.Type.INVOKE, GroupReaders.F_POLL, null, -1, -1, time++, null));
    history.add(new Op(member, Op.Type.OK, GroupReaders.F_POLL, null, -1, -1, time++, null, reads));
  }

  private void commit(int member, long offset, Op.Type outcome) {
    history.add(new Op(member, Op.Type.INVOKE, GroupReaders.F_COMMIT, null, 0, offset, time++, null));
    history.add(new Op(member, outcome, GroupReaders.F_COMMIT, null, 0, offset, time++, null));
  }

  private GroupCheckResult check(long finalCommitted) {
    return GroupChecker.check(history, Map.of(0, log), Map.of(0, finalCommitted));
  }

  /** A reads 0..2 and commits 3, then hands the partition to B. */
  private void aReadsThreeThenLeaves() {
    assigned(A);
    poll(A, 0, 2);
    commit(A, 3, Op.Type.OK);
    released(A);
  }

  @Test
  void aHandOverFromTheLastCommitIsValid() {
    aReadsThreeThenLeaves();
    assigned(B);
    poll(B, 3, 4);
    commit(B, 5, Op.Type.OK);
    GroupCheckResult result = check(5);
    assertThat(result.valid()).as(result.summary()).isTrue();
    assertThat(result.delivered()).isEqualTo(5);
    assertThat(result.commitsAcknowledged()).isEqualTo(2);
  }

  @Test
  void rereadingUncommittedRecordsIsAtLeastOnceNotAnAnomaly() {
    assigned(A);
    poll(A, 0, 2);
    commit(A, 2, Op.Type.OK);
    poll(A, 3, 3); // read, then gone before committing
    released(A);
    assigned(B);
    poll(B, 2, 4);
    GroupCheckResult result = check(2);
    assertThat(result.valid()).as(result.summary()).isTrue();
  }

  @Test
  void startingBelowAnAcknowledgedCommitIsGoingBack() {
    aReadsThreeThenLeaves();
    assigned(B);
    poll(B, 1, 4);
    GroupCheckResult result = check(3);
    assertThat(result.valid()).isFalse();
    assertThat(result.backwards()).singleElement().asString().contains("started at offset 1").contains("commit of 3");
  }

  /**
   * B claims in a poll it invoked before A's commit was acknowledged, and hears the claim's answer
   * only after: the claim may have been applied first (then A's commit came from a later claim of
   * A's), so B's start below A's commit is no anomaly.
   */
  @Test
  void aClaimWhoseAnswerCameAfterAnotherMembersCommitMayStartBelowIt() {
    history.add(new Op(B, Op.Type.INVOKE, GroupReaders.F_POLL, null, -1, -1, time++, null));
    aReadsThreeThenLeaves();
    assignedInThePollUnderWay(B);
    history.add(new Op(B, Op.Type.OK, GroupReaders.F_POLL, null, -1, -1, time++, null, List.of(new PartitionRead(0, 0, "v0"))));
    GroupCheckResult result = check(3);
    assertThat(result.valid()).as(result.summary()).isTrue();
  }

  @Test
  void startingPastEveryTriedCommitSkipsRecords() {
    aReadsThreeThenLeaves();
    assigned(B);
    poll(B, 5, 6);
    GroupCheckResult result = check(3);
    assertThat(result.skipped()).singleElement().asString().contains("offsets 3..4 were skipped");
  }

  @Test
  void aCommitThatMayHaveLandedAllowsStartingAtItButOneThatFailedDoesNot() {
    aReadsThreeThenLeaves();
    assigned(A);
    poll(A, 3, 4);
    commit(A, 5, Op.Type.INFO);
    commit(A, 7, Op.Type.FAIL);
    released(A);
    assigned(B);
    poll(B, 5, 5);
    GroupCheckResult result = check(5);
    assertThat(result.valid()).as(result.summary()).isTrue();

    assigned(A);
    poll(A, 7, 7);
    assertThat(check(5).skipped()).singleElement().asString().contains("member 200").contains("offsets 5..6");
  }

  @Test
  void aTenureMustBeContiguousAndOnlyOwnedPartitionsRead() {
    assigned(A);
    poll(A, 0, 1);
    poll(A, 3, 3);
    released(A);
    poll(A, 4, 4);
    GroupCheckResult result = check(-1);
    assertThat(result.gaps()).hasSize(2);
    assertThat(result.gaps().get(0)).contains("did not own");
    assertThat(result.gaps().get(1)).contains("offset 3 after 1");
  }

  @Test
  void aValueTheLogDoesNotHoldIsDivergence() {
    assigned(A);
    poll(A, List.of(new PartitionRead(0, 0, "v0"), new PartitionRead(0, 1, "other")));
    assertThat(check(-1).divergences()).singleElement().asString().contains("other").contains("holds v1");
  }

  @Test
  void theFinalCommittedOffsetKeepsEveryAcknowledgedCommitAndInventsNone() {
    aReadsThreeThenLeaves();
    assertThat(check(3).valid()).isTrue();
    assertThat(check(2).backwards()).singleElement().asString().contains("final committed offset is 2");
    assertThat(check(4).skipped()).singleElement().asString().contains("final committed offset is 4");
  }
}
