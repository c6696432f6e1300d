package io.ordo.raft.consumer;

import static io.ordo.raft.partition.Commands.append;
import static io.ordo.raft.partition.Commands.claim;
import static io.ordo.raft.partition.Commands.command;
import static io.ordo.raft.partition.Commands.commit;
import static io.ordo.raft.partition.Commands.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.ordo.proto.raft.v1.DeleteGroupOffset;
import io.ordo.proto.raft.v1.GroupOffset;
import io.ordo.proto.raft.v1.GroupStart;
import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.ResetGroupOffset;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.SpecialOffset;
import io.ordo.raft.partition.StoreApplier;
import io.ordo.raft.partition.TwoReplicas;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.storage.DataStore;
import io.ordo.raft.storage.PartitionStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stream groups' offsets, applied through the partition's real apply path: who may claim and
 * commit, that offsets only go forward, and that replicas agree whatever their round splits and
 * snapshots.
 */
class GroupOffsetsTest {
  @TempDir Path dir;
  private DataStore data;
  private StoreApplier replica;
  private long index;

  @BeforeEach
  void open() throws IOException {
    data = DataStore.open(dir.resolve("a"));
    replica = new StoreApplier(data.partition(1));
    apply(append(records("r", 10)));
  }

  @AfterEach
  void close() {
    data.close();
  }

  private OpResult apply(PartitionOp op) {
    return replica.apply(++index, command(index, op)).results().get(0);
  }

  private static OpResult at(long offset) {
    return new OpResult.GroupPosition(offset);
  }

  private static ErrorCode refusal(OpResult result) {
    assertThat(result).isInstanceOf(OpResult.Refused.class);
    return ((OpResult.Refused) result).code();
  }

  @Test
  void aGroupsFirstClaimStartsItAtTheLogsStartOrEnd() {
    assertThat(apply(claim("from-start", "m1", 1, GroupStart.GROUP_START_EARLIEST))).isEqualTo(at(0));
    assertThat(apply(claim("from-end", "m1", 1, GroupStart.GROUP_START_LATEST))).isEqualTo(at(10));
    apply(append(records("s", 5)));
    assertThat(apply(claim("from-end", "m2", 2, GroupStart.GROUP_START_EARLIEST)))
        .as("a later claim keeps the committed offset, whatever it asks").isEqualTo(at(10));
  }

  @Test
  void onlyTheOwnerCommitsAndOnlyForwardUpToTheEnd() {
    apply(claim("g", "m1", 1, GroupStart.GROUP_START_EARLIEST));
    assertThat(apply(commit("g", "m1", 1, 4))).isEqualTo(at(4));
    assertThat(apply(commit("g", "m1", 1, 4))).as("the same commit again").isEqualTo(at(4));
    assertThat(refusal(apply(commit("g", "m1", 1, 3)))).as("backwards").isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE);
    assertThat(refusal(apply(commit("g", "m1", 1, 11)))).as("past the end").isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE);
    assertThat(refusal(apply(commit("g", "m2", 1, 5)))).as("not the owner").isEqualTo(ErrorCode.STALE_GENERATION);
    assertThat(refusal(apply(commit("other", "m1", 1, 5)))).isEqualTo(ErrorCode.UNKNOWN_MEMBER);
    assertThat(apply(commit("g", "m1", 1, 10))).isEqualTo(at(10));
  }

  @Test
  void aLaterGenerationTakesThePartitionAndFencesTheEarlierOwner() {
    apply(claim("g", "m1", 5, GroupStart.GROUP_START_EARLIEST));
    apply(commit("g", "m1", 5, 3));
    assertThat(refusal(apply(claim("g", "m2", 4, GroupStart.GROUP_START_EARLIEST))))
        .as("an older generation").isEqualTo(ErrorCode.STALE_GENERATION);
    assertThat(refusal(apply(claim("g", "m2", 5, GroupStart.GROUP_START_EARLIEST))))
        .as("the same generation, another member").isEqualTo(ErrorCode.STALE_GENERATION);

    assertThat(apply(claim("g", "m2", 6, GroupStart.GROUP_START_EARLIEST))).as("starts at m1's commit").isEqualTo(at(3));
    assertThat(refusal(apply(commit("g", "m1", 5, 7)))).as("the zombie").isEqualTo(ErrorCode.STALE_GENERATION);
    assertThat(apply(commit("g", "m2", 6, 7))).isEqualTo(at(7));
    assertThat(apply(claim("g", "m2", 6, GroupStart.GROUP_START_EARLIEST))).as("a repeated claim").isEqualTo(at(7));
  }

  @Test
  void aResetMovesTheOffsetAnywhereInTheLogAndADeleteForgetsTheGroup() {
    apply(claim("g", "m1", 1, GroupStart.GROUP_START_LATEST));
    assertThat(apply(reset("g", SpecialOffset.EARLIEST_VALUE))).isEqualTo(at(0));
    assertThat(apply(reset("g", 6))).isEqualTo(at(6));
    assertThat(refusal(apply(reset("g", 11)))).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE);
    assertThat(refusal(apply(commit("g", "m1", 1, 8)))).as("the owner lost the partition")
        .isEqualTo(ErrorCode.STALE_GENERATION);
    assertThat(refusal(apply(claim("g", "m1", 1, GroupStart.GROUP_START_EARLIEST)))).as("not in its old generation")
        .isEqualTo(ErrorCode.STALE_GENERATION);
    assertThat(apply(claim("g", "m1", 2, GroupStart.GROUP_START_LATEST))).as("from the reset offset").isEqualTo(at(6));
    apply(commit("g", "m1", 2, 8));

    assertThat(apply(PartitionOp.newBuilder().setDeleteGroupOffset(DeleteGroupOffset.newBuilder().setGroup("g")).build()))
        .isEqualTo(at(-1));
    assertThat(data.partition(1).readGroupOffsets()).isEmpty();
    assertThat(refusal(apply(commit("g", "m1", 1, 9)))).isEqualTo(ErrorCode.UNKNOWN_MEMBER);
  }

  @Test
  void replicasAgreeWhateverTheirRoundSplitsAndSnapshots() throws IOException {
    List<PartitionCommand> log = new ArrayList<>();
    log.add(command(1, append(records("r", 10))));
    log.add(command(2, claim("g", "m1", 1, GroupStart.GROUP_START_EARLIEST), commit("g", "m1", 1, 2)));
    log.add(command(3, claim("h", "x", 1, GroupStart.GROUP_START_LATEST), append(records("s", 3))));
    log.add(command(4, commit("g", "m1", 1, 9), claim("g", "m2", 2, GroupStart.GROUP_START_EARLIEST)));
    log.add(command(5, commit("g", "m1", 1, 10), commit("g", "m2", 2, 12)));

    try (DataStore b = DataStore.open(dir.resolve("b")); DataStore c = DataStore.open(dir.resolve("c"))) {
      TwoReplicas replicas = TwoReplicas.apply(log, b, c);
      PartitionStore oneRound = replicas.oneRound();
      PartitionStore installed = replicas.splitWithSnapshot();

      List<GroupOffset> expected = oneRound.readGroupOffsets();
      assertThat(expected).extracting(GroupOffset::getGroup, GroupOffset::getCommittedOffset, GroupOffset::getOwnerMemberId)
          .containsExactlyInAnyOrder(
              tuple("g", 12L, "m2"), tuple("h", 10L, "x"));
      assertThat(installed.readGroupOffsets()).containsExactlyInAnyOrderElementsOf(expected);
      assertThat(installed.readState()).isEqualTo(oneRound.readState());
    }
  }

  private static PartitionOp reset(String group, long offset) {
    return PartitionOp.newBuilder()
        .setResetGroupOffset(ResetGroupOffset.newBuilder().setGroup(group).setOffset(offset))
        .build();
  }
}
