package io.ordo.raft.partition;

import io.ordo.proto.v1.ErrorCode;

/** What applying one op did, for the caller that proposed it. Never stored. */
public sealed interface OpResult {
  /** The op's records are committed from {@code baseOffset} on (a retry's: where the first copy went). */
  record Appended(long baseOffset) implements OpResult {}

  /** The op changed nothing, for the reason given; the same on every replica. */
  record Refused(ErrorCode code, String message) implements OpResult {}
}
