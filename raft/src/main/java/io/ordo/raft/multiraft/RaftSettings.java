package io.ordo.raft.multiraft;

/**
 * Raft timing and sizes for every group of a node.
 *
 * @param electionTimeoutMs the metadata group's; 1 s flapped on two busy cores in measurements, 2 s
 *     and up is stable
 * @param partitionElectionTimeoutMs each partition's: a leader heartbeats its followers ten times
 *     per timeout, so at a thousand partitions the heartbeats alone take a large share of the CPU
 * @param snapshotIntervalSecs how often each group snapshots (and truncates its log), if it grew
 * @param snapshotLogIndexMargin entries a group must have applied since its last snapshot to take
 *     another one
 */
public record RaftSettings(
    int electionTimeoutMs, int partitionElectionTimeoutMs, int snapshotIntervalSecs, int snapshotLogIndexMargin) {
  public static RaftSettings defaults() {
    return new RaftSettings(2_000, 5_000, 600, 1_000);
  }
}
