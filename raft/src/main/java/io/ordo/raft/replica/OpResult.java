package io.ordo.raft.replica;

import io.ordo.proto.v1.ErrorCode;

/**
 * What applying one partition op did, for the caller that proposed it. The same on every replica;
 * never stored. Kinds of partition state add results of their own (see the queue package).
 */
public interface OpResult {
  /**
   * {@code recordCount} records are committed from {@code baseOffset} on; for a retry of an
   * idempotent append, where the first copy went and how many records it had.
   */
  record Appended(long baseOffset, int recordCount) implements OpResult {}

  /** A stream group's committed offset after the op; -1 once the group's offset was deleted. */
  record GroupPosition(long committedOffset) implements OpResult {}

  /** The log starts at {@code startOffset} now. */
  record Trimmed(long startOffset) implements OpResult {}

  /** Compaction removed {@code records} records, {@code bytes} stored bytes. */
  record Compacted(long records, long bytes) implements OpResult {}

  /** The op changed nothing, for the reason given. */
  record Refused(ErrorCode code, String message) implements OpResult {}
}
