package io.ordo.raft.partition;

import static io.ordo.raft.partition.Commands.appended;
import static io.ordo.raft.partition.Commands.command;
import static io.ordo.raft.partition.Commands.encoded;
import static io.ordo.raft.partition.Commands.records;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.raft.v1.AppendRecords;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.raft.replica.OpResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IdempotentAppendTest {
  private final RecordingWrites writes = new RecordingWrites();
  private final PartitionStateMachine machine = new PartitionStateMachine(PartitionState.getDefaultInstance(), List.of(), List.of(), Map.of());
  private long index;

  private static PartitionOp append(long producerId, long firstSequence, String prefix, int count) {
    return PartitionOp.newBuilder()
        .setAppend(
            AppendRecords.newBuilder()
                .addAllRecords(records(prefix, count))
                .setProducerId(producerId)
                .setFirstSequence(firstSequence))
        .build();
  }

  private static PartitionOp pipelined(long producerId, long firstSequence, String prefix, int count) {
    PartitionOp op = append(producerId, firstSequence, prefix, count);
    return op.toBuilder().setAppend(op.getAppend().toBuilder().setFollowsPrevious(true)).build();
  }

  private List<OpResult> apply(PartitionOp... ops) {
    return machine.apply(++index, encoded(command(1_000, ops)), writes).results();
  }

  @Test
  void retryOfTheLastAppendIsAnsweredWithTheOriginalOffsetAndNotStoredAgain() {
    assertThat(apply(append(7, 0, "a", 3))).containsExactly(appended(0, 3));
    assertThat(apply(append(7, 3, "b", 2))).containsExactly(appended(3, 2));
    assertThat(apply(append(7, 3, "b", 2))).containsExactly(appended(3, 2));

    assertThat(machine.state().getNextOffset()).isEqualTo(5);
    assertThat(writes.values()).containsExactly("a-0", "a-1", "a-2", "b-0", "b-1");
  }

  @Test
  void retryPackedIntoTheSameEntryAsTheOriginalIsDeduplicated() {
    assertThat(apply(append(7, 0, "a", 2), append(7, 0, "a", 2))).containsExactly(appended(0, 2), appended(0, 2));
    assertThat(writes.values()).containsExactly("a-0", "a-1");
  }

  @Test
  void anAppendBeforeTheLastThatIsNotOneOfTheRememberedIsRejected() {
    apply(append(7, 0, "a", 2));
    apply(append(7, 2, "b", 2));

    assertThat(apply(append(7, 1, "a", 2))).singleElement()
        .isEqualTo(new OpResult.Refused(ErrorCode.OUT_OF_ORDER_SEQUENCE, "a later request from this producer is"
            + " already committed; this one was committed before, at offsets no longer on record"));
    assertThat(machine.state().getNextOffset()).isEqualTo(4);
  }

  @Test
  void sequencesMaySkipAheadAfterAFailedRequest() {
    apply(append(7, 0, "a", 2));
    assertThat(apply(append(7, 10, "c", 1))).containsExactly(appended(2, 1));
  }

  @Test
  void aRetryWithMoreRecordsIsAnsweredWithWhatTheFirstCopyAppended() {
    apply(append(7, 0, "a", 2));
    // A new leader exporting dead letters again may batch them differently: the count tells it
    // how many of its records were in the first copy.
    assertThat(apply(append(7, 0, "a", 5))).containsExactly(appended(0, 2));
    assertThat(machine.state().getNextOffset()).isEqualTo(2);
  }

  @Test
  void producersAreIndependentAndNonIdempotentAppendsAreNeverDeduplicated() {
    assertThat(apply(append(7, 0, "a", 1), append(8, 0, "b", 1))).containsExactly(appended(0, 1), appended(1, 1));
    assertThat(apply(append(0, 0, "c", 1), append(0, 0, "c", 1))).containsExactly(appended(2, 1), appended(3, 1));
    assertThat(writes.producers).containsOnlyKeys(7L, 8L);
  }

  @Test
  void producerStateSurvivesARestartFromTheStore() {
    apply(append(7, 0, "a", 2));
    PartitionStateMachine restarted =
        new PartitionStateMachine(writes.state, List.copyOf(writes.producers.values()), List.of(), Map.of());

    List<OpResult> offsets = restarted.apply(++index, encoded(command(2_000, append(7, 0, "a", 2))), writes).results();

    assertThat(offsets).containsExactly(appended(0, 2));
    assertThat(restarted.state().getNextOffset()).isEqualTo(2);
  }

  @Test
  void aRetryOfAnyOfTheLastFiveAppendsIsAnsweredWithItsOffsets() {
    assertThat(apply(append(7, 0, "r0", 2))).containsExactly(appended(0, 2));
    for (int i = 1; i < 6; i++) {
      assertThat(apply(pipelined(7, 2L * i, "r" + i, 2))).containsExactly(appended(2L * i, 2));
    }
    assertThat(writes.producers.get(7L).getEarlierCount()).isEqualTo(PartitionStateMachine.REMEMBERED_APPENDS - 1);
    for (int i = 5; i >= 1; i--) {
      assertThat(apply(pipelined(7, 2L * i, "again", 2))).as("retry of append " + i).containsExactly(appended(2L * i, 2));
    }
    assertThat(apply(append(7, 0, "again", 2))).singleElement()
        .extracting(r -> ((OpResult.Refused) r).code()).isEqualTo(ErrorCode.OUT_OF_ORDER_SEQUENCE);
    assertThat(machine.state().getNextOffset()).isEqualTo(12);
  }

  @Test
  void aPipelinedAppendThatDoesNotFollowTheLastIsRefusedAndAppendsNothing() {
    apply(append(7, 0, "a", 2));
    // The request at 2 failed (or has not arrived): the one after it must wait, or order breaks.
    assertThat(apply(pipelined(7, 4, "c", 2))).singleElement()
        .extracting(r -> ((OpResult.Refused) r).code()).isEqualTo(ErrorCode.SEQUENCE_GAP);
    assertThat(apply(pipelined(7, 2, "b", 2), pipelined(7, 4, "c", 2))).containsExactly(appended(2, 2), appended(4, 2));
    assertThat(writes.values()).containsExactly("a-0", "a-1", "b-0", "b-1", "c-0", "c-1");
  }

  @Test
  void aPipelinedAppendOfAnUnknownProducerWaitsForItsFirst() {
    assertThat(apply(pipelined(7, 2, "b", 2))).singleElement()
        .extracting(r -> ((OpResult.Refused) r).code()).isEqualTo(ErrorCode.SEQUENCE_GAP);
    assertThat(apply(append(7, 0, "a", 2), pipelined(7, 2, "b", 2))).containsExactly(appended(0, 2), appended(2, 2));
    assertThat(machine.state().getNextOffset()).isEqualTo(4);
  }

  @Test
  void theProducerThatAppendedLongestAgoIsForgottenPastTheLimit() {
    for (int p = 1; p <= PartitionStateMachine.MAX_PRODUCERS; p++) {
      machine.apply(++index, encoded(command(1_000 + p, append(p, 0, "x", 1))), writes);
    }
    // Producer 1 appended first; a new producer pushes it out.
    machine.apply(++index, encoded(command(50_000, append(-7, 0, "new", 1))), writes);
    assertThat(writes.producers).hasSize(PartitionStateMachine.MAX_PRODUCERS).doesNotContainKey(1L).containsKey(-7L);

    long nextBefore = machine.state().getNextOffset();
    assertThat(apply(append(2, 0, "x", 1))).as("producer 2 is still remembered").containsExactly(appended(1, 1));
    assertThat(apply(append(1, 0, "x", 1))).as("producer 1 is not").containsExactly(appended(nextBefore, 1));
  }
}
