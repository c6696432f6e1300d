package io.ordo.node.grpc;

import io.grpc.StatusRuntimeException;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.proto.v1.SpecialOffset;
import io.ordo.protocol.OrdoStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Where a fetch or subscription starts, or why it cannot.
 *
 * <p>Reads are served by the replica that believes it leads, without a read index each. A deposed
 * leader that has not noticed yet holds a stale end, so an offset past its end may be committed on
 * the new leader already; calling it out of range would end the consumer (OFFSET_OUT_OF_RANGE is
 * final in the client). So an offset past the end is judged only after a Raft read index confirmed
 * the replica current, against the end re-read once it applied up to that index; when that cannot
 * be confirmed the answer is the replica's retriable "not the leader". An offset below the start
 * is out of range at once: a replica's start only moves forward, so a stale one is not higher than
 * the true one.
 */
final class StartOffsets {
  private StartOffsets() {}

  /** What resolving needs of a partition replica; a seam so the rule is tested without Raft. */
  interface Log {
    long startOffset();

    long endOffset();

    /** See {@code RaftMember.awaitCurrent}: true once the end offset is as current as a read index. */
    CompletableFuture<Boolean> awaitCurrent();

    /** The retriable answer when {@link #awaitCurrent} could not confirm: NOT_LEADER or LEADER_NOT_AVAILABLE. */
    StatusRuntimeException notCurrent();

    /** The partition's name, for messages. */
    String name();
  }

  /** The outcome of {@link #resolve}; one method is called, once. */
  interface Outcome {
    void start(long offset);

    void fail(StatusRuntimeException error);
  }

  /**
   * Resolves {@code requested} (an offset or a {@link SpecialOffset}). Answers on the calling thread
   * when the log's own offsets suffice; an offset past the end is answered on {@code executor}
   * after a read index, so no caller's thread waits on Raft.
   */
  static void resolve(Log log, long requested, Executor executor, Outcome outcome) {
    if (requested == SpecialOffset.EARLIEST_VALUE) {
      outcome.start(log.startOffset());
    } else if (requested == SpecialOffset.LATEST_VALUE) {
      outcome.start(log.endOffset());
    } else if (requested > log.endOffset() && requested >= log.startOffset()) {
      log.awaitCurrent().whenCompleteAsync(
          (current, error) -> {
            if (Boolean.TRUE.equals(current)) {
              judge(log, requested, outcome);
            } else {
              outcome.fail(log.notCurrent());
            }
          },
          executor);
    } else {
      judge(log, requested, outcome);
    }
  }

  private static void judge(Log log, long requested, Outcome outcome) {
    long start = log.startOffset();
    long end = log.endOffset();
    if (requested < start || requested > end) {
      outcome.fail(
          OrdoStatus.exception(
              ErrorDetail.newBuilder()
                  .setCode(ErrorCode.OFFSET_OUT_OF_RANGE)
                  .setStartOffset(start)
                  .setEndOffset(end)
                  .build(),
              "offset " + requested + " is outside " + log.name() + "'s log [" + start + ", " + end + ")"));
    } else {
      outcome.start(requested);
    }
  }
}
