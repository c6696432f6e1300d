package io.ordo.raft.replica;

import io.ordo.proto.v1.ErrorCode;

/**
 * Why a replica refused or could not finish a request. {@code leaderRaftAddress} is the Raft
 * endpoint (host:port) of the leader this replica knows of, or null.
 */
public record ReplicaError(ErrorCode code, String message, String leaderRaftAddress) {}
