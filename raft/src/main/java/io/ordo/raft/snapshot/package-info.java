/**
 * Snapshots that cost a flush, not a copy. A group's state lives in its node's store, flushed to
 * disk before a snapshot is reported done, so a local snapshot is jraft's meta alone: the applied
 * index, term and peers. Only a follower that must install one gets the data, exported from the
 * store as it is when the follower asks (at or past the snapshot's index: the follower skips the
 * log entries its state already holds). Knows nothing of partitions; a group's state machine says
 * how to export it ({@link io.ordo.raft.snapshot.SnapshotSource}).
 */
package io.ordo.raft.snapshot;
