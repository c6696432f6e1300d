package io.ordo.raft.replica;

import io.ordo.proto.v1.ErrorCode;

/**
 * What applying one partition op did, for the caller that proposed it. The same on every replica;
 * never stored. Kinds of partition state add results of their own (see the queue package).
 */
public interface OpResult {
  /** The op's records are committed from {@code baseOffset} on (a retry's: where the first copy went). */
  record Appended(long baseOffset) implements OpResult {}

  /** A stream group's committed offset after the op; -1 once the group's offset was deleted. */
  record GroupPosition(long committedOffset) implements OpResult {}

  /** The op changed nothing, for the reason given. */
  record Refused(ErrorCode code, String message) implements OpResult {}
}
