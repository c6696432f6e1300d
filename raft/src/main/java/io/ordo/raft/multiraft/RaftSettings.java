package io.ordo.raft.multiraft;

/**
 * Raft timing and sizes for every group of a node.
 *
 * @param electionTimeoutMs the metadata group's; 1 s flapped on two busy cores in measurements, 2 s
 *     and up is stable
 * @param partitionElectionTimeoutMs each partition's: a leader heartbeats its followers four times
 *     per timeout (every 500 ms at the default 2 s), a cost per partition; 5 s made a failover
 *     take 5-11 s, longer than the fault suite's writers wait
 * @param snapshotIntervalSecs how often each group snapshots (and truncates its log), if it grew
 * @param snapshotLogIndexMargin entries a group must have applied since its last snapshot to take
 *     another one
 */
public record RaftSettings(
    int electionTimeoutMs, int partitionElectionTimeoutMs, int snapshotIntervalSecs, int snapshotLogIndexMargin) {
  public static RaftSettings defaults() {
    return new RaftSettings(2_000, 2_000, 600, 1_000);
  }
}
