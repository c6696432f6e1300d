package io.ordo.raft.compaction;

/**
 * A compacted topic's settings, as its partitions' leaders apply them: tombstones are kept {@code
 * deleteRetentionMs} after they were appended, records younger than {@code minCompactionLagMs}
 * are not compacted yet, and a pass starts once {@code minCleanableDirtyRatio} of the stored bytes
 * were appended since the last one.
 */
public record CompactionSettings(long deleteRetentionMs, long minCompactionLagMs, double minCleanableDirtyRatio) {}
