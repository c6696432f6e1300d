package io.ordo.raft.partition;

import io.ordo.raft.replica.ReplicaError;

/** The outcome of an append; exactly one method is called, once, on a thread that must not block. */
public interface AppendCallback {
  /** The records are committed at {@code baseOffset} onwards. */
  void onAppended(long baseOffset, long timestampMs);

  void onFailed(ReplicaError error);

  /**
   * True once the caller stopped waiting for the outcome (it cancelled, or its deadline passed):
   * an append not yet proposed then never is. Read from any thread.
   */
  default boolean abandoned() {
    return false;
  }
}
