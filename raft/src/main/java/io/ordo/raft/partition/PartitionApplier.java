package io.ordo.raft.partition;

import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.raft.storage.PartitionStore;
import java.nio.ByteBuffer;

/**
 * Applies a partition's Raft log to its store, one round of entries at a time: a round's effects
 * and the applied index are one atomic write, and entries the store already holds (a replay after
 * a restart) are skipped. This is the one apply path: the jraft replica and the tests both drive
 * it, so a test of a round split or a replay exercises what production runs. No jraft here.
 */
public final class PartitionApplier {
  private final PartitionStore store;
  private final PartitionStateMachine machine;

  /** Resumes from what {@code store} holds. */
  public PartitionApplier(PartitionStore store) {
    this.store = store;
    this.machine = new PartitionStateMachine(store.readState(), store.readProducers(), store.readGroupOffsets(), store.readQueueGroups());
  }

  public PartitionState state() {
    return machine.state();
  }

  public PartitionStateMachine machine() {
    return machine;
  }

  /** Starts a round; close it after {@link Round#commit()}, or without it to discard the round. */
  public Round newRound() {
    return new Round();
  }

  /** Re-reads the state from the store, after a snapshot was installed into it. */
  public void reload() {
    machine.reset(store.readState(), store.readProducers(), store.readGroupOffsets(), store.readQueueGroups());
  }

  /**
   * Entries staged together. Closed without a commit (an entry failed to apply), it discards
   * every effect of the round, in the store and in memory alike, so the replica stays exactly at
   * the end of the previous round.
   */
  public final class Round implements AutoCloseable {
    private final PartitionStore.Writer writer = store.newWriter();
    private boolean committed;

    private Round() {}

    /**
     * Applies the entry at {@code index} holding {@code data} (null or empty: an entry without a
     * command, which only advances the applied index). Null if there is no result to report: the
     * entry was already applied, or held no command.
     *
     * @throws IllegalStateException if the entry cannot be decoded or applied: the round must be
     *     discarded and the replica stopped, or it would diverge from the others
     */
    public PartitionStateMachine.Applied apply(long index, ByteBuffer data) {
      if (machine.isApplied(index)) {
        return null;
      }
      if (data == null || !data.hasRemaining()) {
        machine.advanceTo(index, writer);
        return null;
      }
      return machine.apply(index, data, writer);
    }

    /** Records that everything up to {@code index} is applied (entries jraft keeps to itself). */
    public void advanceTo(long index) {
      machine.advanceTo(index, writer);
    }

    /** Makes the round's effects durable-with-the-log and visible to readers, all at once. */
    public void commit() {
      writer.commit();
      committed = true;
    }

    @Override
    public void close() {
      writer.close();
      if (!committed) {
        reload();
      }
    }
  }
}
