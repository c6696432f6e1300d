package io.ordo.raft.partition;

/**
 * Told of a partition replica's snapshots: each one written (periodically, so the Raft log can be
 * cut short) and each one installed, which on a running follower is catch-up (its leader no longer
 * had the log entries it lacked, so it sent a copy of the partition instead), so an operator sees
 * how often copies are made and how long they take.
 */
public interface SnapshotEvents {
  /** A snapshot of {@code bytes} was written and synced in {@code nanos}. */
  void written(long bytes, long nanos);

  /** A snapshot was installed in {@code nanos} (at a restart, or sent by the leader). */
  void installed(long nanos);
}
