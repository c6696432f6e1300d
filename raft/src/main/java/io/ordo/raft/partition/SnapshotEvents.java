package io.ordo.raft.partition;

/**
 * Told of a partition replica's snapshots: each one taken (periodically, so the Raft log can be cut
 * short: the store is flushed), each copy exported for a follower, and each one installed, which
 * on a running follower is catch-up (its leader no longer had the log entries it lacked, so it
 * sent a copy of the partition instead), so an operator sees how often copies are made and how
 * long they take.
 */
public interface SnapshotEvents {
  /** A snapshot was taken, its store flushed, in {@code nanos}. */
  void written(long nanos);

  /** A copy of {@code bytes} was exported for a follower to install, and synced, in {@code nanos}. */
  void exported(long bytes, long nanos);

  /** A snapshot was installed in {@code nanos} (at a restart, or sent by the leader). */
  void installed(long nanos);
}
