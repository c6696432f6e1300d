/**
 * Stream groups inside a partition: each group's committed offset and the member that owns the
 * partition in it, applied by the partition's own state machine in the same round and snapshot as
 * the records. Deterministic: reads only the op, log time and its own state. Membership and
 * assignment live elsewhere (the node's coordinator); this package only fences and records.
 */
package io.ordo.raft.consumer;
