package io.ordo.raft.partition;

import static io.ordo.raft.partition.Commands.append;
import static io.ordo.raft.partition.Commands.command;
import static io.ordo.raft.partition.Commands.encoded;
import static io.ordo.raft.partition.Commands.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.raft.v1.AppendRecords;
import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.storage.DataStore;
import io.ordo.raft.storage.PartitionStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A round that fails part-way leaves the replica exactly where the previous round left it. */
class PartitionApplierTest {
  @TempDir Path dir;

  private static PartitionOp idempotentAppend(long producerId, long firstSequence, String prefix) {
    return PartitionOp.newBuilder()
        .setAppend(
            AppendRecords.newBuilder().addAllRecords(records(prefix, 1)).setProducerId(producerId)
                .setFirstSequence(firstSequence))
        .build();
  }

  @Test
  void aRoundWithAnEntryThatCannotBeAppliedIsDiscardedWhole() throws IOException {
    try (DataStore data = DataStore.open(dir)) {
      PartitionStore store = data.partition(7);
      PartitionApplier applier = new PartitionApplier(store);
      try (PartitionApplier.Round round = applier.newRound()) {
        round.apply(1, encoded(command(1, append(records("a", 1)))));
        round.commit();
      }
      PartitionState before = applier.state();

      assertThatThrownBy(() -> {
        try (PartitionApplier.Round round = applier.newRound()) {
          round.apply(2, encoded(command(2, idempotentAppend(9, 0, "b"))));
          round.apply(3, encoded(command(3, append(records("c", 1)), PartitionOp.getDefaultInstance())));
          round.commit();
        }
      }).isInstanceOf(PartitionStateMachine.UnknownCommandException.class).hasMessageContaining("index 3");

      assertThat(applier.state()).isEqualTo(before);
      assertThat(store.readState()).isEqualTo(before);
      assertThat(store.readProducers()).as("the round's first entry is gone too").isEmpty();
      assertThat(store.read(0, 10, 10, 1 << 20)).hasSize(1);

      // Nothing of the discarded round lingers: the same entries, fixed, apply as if it never ran.
      try (PartitionApplier.Round round = applier.newRound()) {
        assertThat(round.apply(2, encoded(command(2, idempotentAppend(9, 0, "b")))).results())
            .containsExactly(new OpResult.Appended(1, 1));
        round.commit();
      }
      assertThat(store.readProducers()).singleElement().extracting(p -> p.getLastBaseOffset()).isEqualTo(1L);
    }
  }

  @Test
  void entriesWithoutACommandOnlyAdvanceTheAppliedIndexAndAppliedOnesAreSkipped() throws IOException {
    try (DataStore data = DataStore.open(dir)) {
      PartitionApplier applier = new PartitionApplier(data.partition(7));
      try (PartitionApplier.Round round = applier.newRound()) {
        assertThat(round.apply(1, null)).isNull();
        assertThat(round.apply(2, ByteBuffer.allocate(0))).isNull();
        assertThat(round.apply(3, encoded(command(1, append(records("a", 2)))))).isNotNull();
        assertThat(round.apply(3, encoded(command(1, append(records("a", 2)))))).as("a replay").isNull();
        round.commit();
      }
      assertThat(applier.state().getAppliedIndex()).isEqualTo(3);
      assertThat(applier.state().getNextOffset()).isEqualTo(2);
    }
  }
}
