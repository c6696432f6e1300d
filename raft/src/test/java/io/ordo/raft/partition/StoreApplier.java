package io.ordo.raft.partition;

import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.raft.storage.PartitionStore;
import java.nio.ByteBuffer;

/**
 * Drives production's apply path ({@link PartitionApplier}) with commands encoded as a leader
 * proposes them, in rounds the test chooses, as jraft hands entries to a replica.
 */
public final class StoreApplier {
  private final PartitionApplier applier;

  /** Resumes from what {@code store} holds, as a replica does after a restart. */
  public StoreApplier(PartitionStore store) {
    this.applier = new PartitionApplier(store);
  }

  public PartitionStateMachine machine() {
    return applier.machine();
  }

  /** Applies one entry in a round of its own. */
  public PartitionStateMachine.Applied apply(long index, PartitionCommand command) {
    try (PartitionApplier.Round round = applier.newRound()) {
      PartitionStateMachine.Applied applied = round.apply(index, ByteBuffer.wrap(command.toByteArray()));
      round.commit();
      return applied;
    }
  }

  /**
   * Applies the entries {@code firstIndex, firstIndex + 1, ...} in one round, skipping those the
   * state already holds, as a replica replaying its log does.
   */
  public void applyRound(long firstIndex, PartitionCommand... commands) {
    try (PartitionApplier.Round round = applier.newRound()) {
      for (int i = 0; i < commands.length; i++) {
        round.apply(firstIndex + i, ByteBuffer.wrap(commands[i].toByteArray()));
      }
      round.commit();
    }
  }
}
