/**
 * The cluster's metadata: nodes, topics and partition placement, replicated by one Raft group that
 * spans the initial nodes. {@link io.ordo.raft.metadata.MetadataStateMachine} is the deterministic
 * core, {@link io.ordo.raft.metadata.MetadataReplica} its jraft binding, {@link
 * io.ordo.raft.metadata.Placement} the (pure) choice of replicas the leader writes into commands.
 * No gRPC, no partition data.
 */
package io.ordo.raft.metadata;
