package io.ordo.raft.partition;

import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.raft.storage.PartitionStore;

/**
 * Applies commands to a {@link PartitionStore} the way a replica's apply thread does: the state
 * machine stages each round's effects in one writer, which commits them together.
 */
public final class StoreApplier {
  private final PartitionStore store;
  private final PartitionStateMachine machine;

  /** Resumes from what {@code store} holds, as a replica does after a restart. */
  public StoreApplier(PartitionStore store) {
    this.store = store;
    this.machine = new PartitionStateMachine(store.readState(), store.readProducers());
  }

  public PartitionStateMachine machine() {
    return machine;
  }

  /** Applies one entry in a round of its own. */
  public PartitionStateMachine.Applied apply(long index, PartitionCommand command) {
    try (PartitionStore.Writer writer = store.newWriter()) {
      PartitionStateMachine.Applied applied = machine.apply(index, command, writer);
      writer.commit();
      return applied;
    }
  }

  /**
   * Applies the entries {@code firstIndex, firstIndex + 1, ...} in one round, skipping those the
   * state already holds, as a replica replaying its log does.
   */
  public void applyRound(long firstIndex, PartitionCommand... commands) {
    try (PartitionStore.Writer writer = store.newWriter()) {
      for (int i = 0; i < commands.length; i++) {
        long index = firstIndex + i;
        if (!machine.isApplied(index)) {
          machine.apply(index, commands[i], writer);
        }
      }
      writer.commit();
    }
  }
}
