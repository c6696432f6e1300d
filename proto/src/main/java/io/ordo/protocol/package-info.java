/**
 * Rules both ends of the wire must agree on: which partition a key belongs to, what a valid topic
 * name is, the protocol's hard limits, and how an {@link io.ordo.proto.v1.ErrorDetail} travels in
 * a gRPC status, how an idempotent producer's id is drawn. Pure functions (and that random draw)
 * only: no I/O, no state.
 */
package io.ordo.protocol;
