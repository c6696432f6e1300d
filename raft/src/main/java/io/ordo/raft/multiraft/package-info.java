/**
 * Runs many Raft groups in one node: {@link io.ordo.raft.multiraft.RaftHost} owns the node's one
 * Raft RPC endpoint and the jraft options every group shares; {@link
 * io.ordo.raft.multiraft.ReplicaManager} starts and stops the local partition replicas that the
 * metadata's placement asks for. Decides nothing about data; holds no gRPC.
 */
package io.ordo.raft.multiraft;
