/**
 * One class per public gRPC service: validate the request, hand it to a replica or the router,
 * complete the StreamObserver exactly once, map every failure to a precise status with an
 * ErrorDetail. No Raft or storage calls except through replicas.
 */
package io.ordo.node.grpc;
