/**
 * Who leads what, as this node knows it: finds the local leader replica for a request or answers
 * with where the leader is (NOT_LEADER with its client address), reaches other nodes over gRPC,
 * and gathers the cluster-wide picture (leaders, in-sync replicas, liveness) by asking every node.
 */
package io.ordo.node.routing;
