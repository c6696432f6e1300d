/**
 * A partition replica: the deterministic state machine that turns committed commands into records
 * at contiguous offsets ({@link io.ordo.raft.partition.PartitionStateMachine}), and its binding to
 * a jraft group ({@link io.ordo.raft.partition.PartitionReplica}): proposals, apply rounds,
 * snapshots and reads, with the bounded registry of reads parked for the next append ({@link
 * io.ordo.raft.partition.AppendWaiters}). Touches storage only through {@code
 * io.ordo.raft.storage}; knows nothing of gRPC.
 */
package io.ordo.raft.partition;
