/**
 * How the client does its work, hidden from applications: one gRPC channel per node address,
 * the metadata cache that maps partitions to their leaders' addresses, the bounded jittered
 * retry policy, the batching producer, the leader-following consumer and the admin calls. Types
 * here may change in any release. It may use {@code io.ordo.client} and {@code ordo-proto}, never
 * the server modules, and it never blocks a gRPC callback thread: completions are handed to the
 * producer's sender thread or a subscription's delivery thread.
 */
package io.ordo.client.internal;
