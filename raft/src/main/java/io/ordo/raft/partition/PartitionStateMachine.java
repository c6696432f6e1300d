package io.ordo.raft.partition;

import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.proto.raft.v1.StoredBatch;
import io.ordo.raft.storage.PartitionWrites;

/**
 * The deterministic core of a partition replica. It reads only the command and its own state: no
 * clock, no randomness, no configuration, so every replica that applies the same log writes the
 * same bytes.
 *
 * <p>Invariants, checked on every apply: the applied index only grows; offsets are contiguous from
 * the start offset; batch timestamps never go backwards.
 */
public final class PartitionStateMachine {
  /** What applying one command did: the base offset of each op (-1 for ops that are not appends). */
  public record Applied(long[] baseOffsets, long timestampMs) {}

  private PartitionState state;

  public PartitionStateMachine(PartitionState initial) {
    this.state = initial;
  }

  public PartitionState state() {
    return state;
  }

  /** Whether the entry at {@code index} is already reflected in the state (a replay after restart). */
  public boolean isApplied(long index) {
    return index <= state.getAppliedIndex();
  }

  /**
   * Applies the command at log index {@code index}, staging its effects in {@code writes}.
   *
   * @throws IllegalStateException if {@code index} was already applied: the caller must skip those
   */
  public Applied apply(long index, PartitionCommand command, PartitionWrites writes) {
    if (isApplied(index)) {
      throw new IllegalStateException("index " + index + " is at or below applied index " + state.getAppliedIndex());
    }
    long timestamp = Math.max(command.getTimestampMs(), state.getLastTimestampMs());
    long next = state.getNextOffset();
    long[] baseOffsets = new long[command.getOpsCount()];
    for (int i = 0; i < command.getOpsCount(); i++) {
      PartitionOp op = command.getOps(i);
      switch (op.getOpCase()) {
        case APPEND:
          baseOffsets[i] = next;
          int count = op.getAppend().getRecordsCount();
          if (count > 0) {
            writes.putBatch(
                next,
                StoredBatch.newBuilder()
                    .setTimestampMs(timestamp)
                    .addAllRecords(op.getAppend().getRecordsList())
                    .build());
            next += count;
          }
          break;
        default:
          // An op from a newer version: its effect is unknown here, so applying past it would
          // diverge from replicas that know it. Stop the replica instead (see PartitionReplica).
          throw new UnknownCommandException("unknown partition op " + op.getOpCase() + " at index " + index);
      }
    }
    state =
        state.toBuilder()
            .setAppliedIndex(index)
            .setNextOffset(next)
            .setLastTimestampMs(timestamp)
            .build();
    writes.putState(state);
    return new Applied(baseOffsets, timestamp);
  }

  /**
   * Records that every entry up to {@code index} is reflected in the state although none after the
   * current applied index changed it (an empty entry, or Raft's own configuration entries, which
   * jraft does not pass to the state machine). Does nothing if {@code index} is already applied.
   */
  public void advanceTo(long index, PartitionWrites writes) {
    if (isApplied(index)) {
      return;
    }
    state = state.toBuilder().setAppliedIndex(index).build();
    writes.putState(state);
  }

  /** Replaces the state with one installed from a snapshot. */
  public void reset(PartitionState installed) {
    state = installed;
  }

  /** A command this version cannot apply. */
  public static final class UnknownCommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnknownCommandException(String message) {
      super(message);
    }
  }
}
