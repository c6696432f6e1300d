package io.ordo.raft.partition;

/**
 * Where a leader's writes spend their time, told once per write as it is answered, so a tail can
 * be put down to a stage: waiting to be proposed (behind the entry in flight, or packing),
 * replicating (the leader's log append and fsync, the followers', the commit, and the wait for
 * the apply thread), and applying (the state machine and the store write of its round).
 */
public interface WriteStages {
  void record(long queuedNanos, long replicatedNanos, long appliedNanos);
}
