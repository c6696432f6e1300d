package io.ordo.raft.partition;

import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * What a replica needs from its node: the leader's clock (read only when proposing, never when
 * applying), an executor for short work that must not run on Raft's threads (packing proposals,
 * waking long-polls), one for writing snapshot files (seconds for a large partition, so never on
 * the first one), and the node's limits.
 *
 * @param maxEntryBytes records packed into one Raft entry, at most (a larger single request still
 *     goes alone)
 * @param maxPendingBytes bytes waiting for commit on the leader, at most; above it appends are
 *     refused as OVERLOADED
 * @param nodePendingBytes the same for all partitions the node leads together, shared by them
 * @param maxParkedReads reads (long-polls, caught-up subscriptions) waiting for a partition's next
 *     append, at most; past it a read is not parked (see {@link PartitionReplica#onNextAppend})
 * @param nodeParkedReads the same for all the node's partitions together, shared by them
 * @param stages told how long each write led here spent in each stage
 * @param snapshots told of each snapshot written or installed
 * @param snapshotLogBytes log entries a replica applies before it asks for a snapshot of its own,
 *     whatever the snapshot interval: jraft keeps a group's log from the snapshot before last, so
 *     under a steady write rate the interval alone left up to two intervals of writes on disk
 */
public record ReplicaEnvironment(
    LongSupplier clock,
    Executor executor,
    Executor snapshotExecutor,
    int maxEntryBytes,
    long maxPendingBytes,
    PendingBytes nodePendingBytes,
    int maxParkedReads,
    ParkedReads nodeParkedReads,
    WriteStages stages,
    SnapshotEvents snapshots,
    long snapshotLogBytes) {}
