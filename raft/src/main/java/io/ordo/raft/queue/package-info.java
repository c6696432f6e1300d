/**
 * Queue groups: per-record leases, acknowledgements, retries with back-off and dead letters, as
 * deterministic state of the partition they read, applied with its records.
 */
package io.ordo.raft.queue;
