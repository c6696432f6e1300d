/**
 * Log compaction (cleanup.policy=compact): a partition's leader plans a pass over its log and
 * proposes it chunk by chunk as CompactLog ops, which every replica applies alike.
 */
package io.ordo.raft.compaction;
