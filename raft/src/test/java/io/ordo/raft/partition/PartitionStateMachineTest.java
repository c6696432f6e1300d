package io.ordo.raft.partition;

import static io.ordo.raft.partition.Commands.append;
import static io.ordo.raft.partition.Commands.appended;
import static io.ordo.raft.partition.Commands.command;
import static io.ordo.raft.partition.Commands.encoded;
import static io.ordo.raft.partition.Commands.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UnknownFieldSet;
import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.proto.raft.v1.StoredBatch;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PartitionStateMachineTest {
  private final PartitionStateMachine machine = new PartitionStateMachine(PartitionState.getDefaultInstance(), List.of(), List.of(), Map.of());
  private final RecordingWrites writes = new RecordingWrites();

  @Test
  void offsetsAreContiguousFromZeroAcrossOpsAndEntries() {
    PartitionStateMachine.Applied first =
        machine.apply(1, encoded(command(100, append(records("a", 3)), append(records("b", 2)))), writes);
    PartitionStateMachine.Applied second = machine.apply(2, encoded(command(100, append(records("c", 4)))), writes);

    assertThat(first.results()).containsExactly(appended(0, 3), appended(3, 2));
    assertThat(second.results()).containsExactly(appended(5, 4));
    assertThat(writes.batches.keySet()).containsExactly(0L, 3L, 5L);
    assertThat(writes.values())
        .containsExactly("a-0", "a-1", "a-2", "b-0", "b-1", "c-0", "c-1", "c-2", "c-3");
    assertThat(machine.state().getNextOffset()).isEqualTo(9);
    assertThat(machine.state().getAppliedIndex()).isEqualTo(2);
  }

  @Test
  void offsetsContinueFromTheInitialStateNextOffset() {
    PartitionStateMachine resumed =
        new PartitionStateMachine(PartitionState.newBuilder().setAppliedIndex(10).setNextOffset(42).build(), List.of(), List.of(), Map.of());

    PartitionStateMachine.Applied applied = resumed.apply(11, encoded(command(1, append(records("a", 2)))), writes);

    assertThat(applied.results()).containsExactly(appended(42, 2));
    assertThat(writes.batches.keySet()).containsExactly(42L);
    assertThat(resumed.state().getNextOffset()).isEqualTo(44);
  }

  @Test
  void emptyAppendTakesNoOffsetAndStoresNoBatch() {
    PartitionStateMachine.Applied applied =
        machine.apply(1, encoded(command(5, append(records("a", 2)), append(List.of()), append(records("b", 1)))), writes);

    // The empty op reports where it would have started; the next op starts at the same offset.
    assertThat(applied.results()).containsExactly(appended(0, 2), appended(2, 0), appended(2, 1));
    assertThat(writes.batches.keySet()).containsExactly(0L, 2L);
    assertThat(writes.values()).containsExactly("a-0", "a-1", "b-0");
    assertThat(machine.state().getNextOffset()).isEqualTo(3);
  }

  @Test
  void commandWithoutOpsAdvancesAppliedIndexOnly() {
    machine.apply(1, encoded(command(7, append(records("a", 2)))), writes);

    PartitionStateMachine.Applied applied = machine.apply(2, encoded(PartitionCommand.newBuilder().setTimestampMs(9).build()), writes);

    assertThat(applied.results()).isEmpty();
    assertThat(writes.batches).hasSize(1);
    assertThat(writes.state).isEqualTo(machine.state());
    assertThat(machine.state().getAppliedIndex()).isEqualTo(2);
    assertThat(machine.state().getNextOffset()).isEqualTo(2);
  }

  @Test
  void timestampsNeverGoBackwards() {
    long t1 = machine.apply(1, encoded(command(1_000, append(records("a", 1)))), writes).timestampMs();
    long t2 = machine.apply(2, encoded(command(900, append(records("b", 1)))), writes).timestampMs();
    long t3 = machine.apply(3, encoded(command(1_100, append(records("c", 1)))), writes).timestampMs();

    assertThat(List.of(t1, t2, t3)).containsExactly(1_000L, 1_000L, 1_100L);
    assertThat(writes.batches.values()).extracting(StoredBatch::getTimestampMs).containsExactly(1_000L, 1_000L, 1_100L);
    assertThat(machine.state().getLastTimestampMs()).isEqualTo(1_100);
  }

  @Test
  void olderTimestampAfterRestartGetsTheStoredLastTimestamp() {
    PartitionStateMachine resumed =
        new PartitionStateMachine(PartitionState.newBuilder().setAppliedIndex(3).setLastTimestampMs(5_000).build(), List.of(), List.of(), Map.of());

    assertThat(resumed.apply(4, encoded(command(4_000, append(records("a", 1)))), writes).timestampMs()).isEqualTo(5_000);
  }

  @Test
  void everyApplyStagesTheNewStateWithTheBatches() {
    machine.apply(1, encoded(command(3, append(records("a", 1)))), writes);
    machine.apply(2, encoded(command(4, append(records("b", 1)))), writes);

    assertThat(writes.stateWrites).isEqualTo(2);
    assertThat(writes.state).isEqualTo(machine.state());
  }

  @Test
  void applyingAnAlreadyAppliedIndexThrowsAndChangesNothing() {
    machine.apply(5, encoded(command(1, append(records("a", 2)))), writes);
    PartitionState before = machine.state();
    RecordingWrites later = new RecordingWrites();

    assertThatThrownBy(() -> machine.apply(5, encoded(command(2, append(records("b", 1)))), later))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("index 5");
    assertThatThrownBy(() -> machine.apply(4, encoded(command(2, append(records("b", 1)))), later))
        .isInstanceOf(IllegalStateException.class);

    assertThat(machine.state()).isEqualTo(before);
    assertThat(later.batches).isEmpty();
    assertThat(later.stateWrites).isZero();
  }

  @Test
  void isAppliedCoversEveryIndexUpToTheAppliedIndex() {
    assertThat(machine.isApplied(0)).isTrue();
    assertThat(machine.isApplied(1)).isFalse();

    machine.apply(3, encoded(command(1, append(records("a", 1)))), writes);

    assertThat(machine.isApplied(1)).isTrue();
    assertThat(machine.isApplied(3)).isTrue();
    assertThat(machine.isApplied(4)).isFalse();
  }

  @Test
  void advanceToMovesTheAppliedIndexAndKeepsOffsetsAndTimestamp() {
    machine.apply(1, encoded(command(50, append(records("a", 3)))), writes);

    machine.advanceTo(7, writes);

    assertThat(machine.state().getAppliedIndex()).isEqualTo(7);
    assertThat(machine.state().getNextOffset()).isEqualTo(3);
    assertThat(machine.state().getLastTimestampMs()).isEqualTo(50);
    assertThat(writes.state).isEqualTo(machine.state());
    assertThat(machine.isApplied(7)).isTrue();
    assertThat(machine.apply(8, encoded(command(60, append(records("b", 1)))), writes).results()).containsExactly(appended(3, 1));
  }

  @Test
  void advanceToAnAppliedIndexDoesNothing() {
    machine.apply(4, encoded(command(1, append(records("a", 1)))), writes);
    PartitionState before = machine.state();
    RecordingWrites later = new RecordingWrites();

    machine.advanceTo(4, later);
    machine.advanceTo(2, later);

    assertThat(machine.state()).isEqualTo(before);
    assertThat(later.stateWrites).isZero();
  }

  @Test
  void resetReplacesTheState() {
    machine.apply(1, encoded(command(1, append(records("a", 1)))), writes);
    PartitionState installed =
        PartitionState.newBuilder().setAppliedIndex(100).setNextOffset(500).setLastTimestampMs(9_000).build();

    machine.reset(installed, List.of(), List.of(), Map.of());

    assertThat(machine.state()).isEqualTo(installed);
    PartitionStateMachine.Applied applied = machine.apply(101, encoded(command(1, append(records("b", 1)))), writes);
    assertThat(applied.results()).containsExactly(appended(500, 1));
    assertThat(applied.timestampMs()).isEqualTo(9_000);
  }

  @Test
  void opsFromANewerVersionStopTheReplicaAnAppendWithFieldsUnknownHereAmongThem() {
    UnknownFieldSet newerField =
        UnknownFieldSet.newBuilder().addField(40, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build();
    PartitionOp newerAppend = append(records("a", 1)).toBuilder().setUnknownFields(newerField).build();
    PartitionOp newerOp = PartitionOp.newBuilder().setUnknownFields(newerField).build();

    assertThatThrownBy(() -> machine.apply(1, encoded(command(1, newerAppend)), writes))
        .isInstanceOf(PartitionStateMachine.UnknownCommandException.class);
    assertThatThrownBy(() -> machine.apply(1, encoded(command(1, newerOp)), writes))
        .isInstanceOf(PartitionStateMachine.UnknownCommandException.class);
    assertThatThrownBy(() -> machine.apply(1, ByteBuffer.wrap(new byte[] {0x12, 0x05, 0x0a}), writes))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("undecodable");
    assertThat(writes.batches).isEmpty();
  }
}
