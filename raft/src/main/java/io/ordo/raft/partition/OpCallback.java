package io.ordo.raft.partition;

import io.ordo.raft.replica.OpResult;
import io.ordo.raft.replica.ReplicaError;

/**
 * The outcome of a proposed op; exactly one of {@link #onApplied} and {@link #onFailed} is called,
 * once, on a thread that must not block.
 */
public interface OpCallback {
  /** The op was committed and applied with {@code result}, at log time {@code timestampMs}. */
  void onApplied(OpResult result, long timestampMs);

  /** The op was not applied, or this replica cannot tell: {@code error} says which. */
  void onFailed(ReplicaError error);

  /**
   * True once the caller stopped waiting for the outcome (it cancelled, or its deadline passed):
   * an op not yet proposed then never is. Read from any thread.
   */
  default boolean abandoned() {
    return false;
  }
}
