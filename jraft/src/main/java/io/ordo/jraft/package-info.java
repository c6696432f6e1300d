/**
 * SOFAJRaft as Ordo runs it: the event queues jraft gives every Raft group run on a fixed set of
 * shared threads, so the threads of a node do not grow with its partitions; the groups a log
 * thread writes in a row share one sync ({@link io.ordo.jraft.LogSyncRound}); the heartbeats and
 * appends of all groups to a peer travel together ({@link io.ordo.jraft.HeartbeatCoalescer},
 * {@link io.ordo.jraft.AppendCoalescer}).
 */
package io.ordo.jraft;
