package io.ordo.node.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.proto.v1.SpecialOffset;
import io.ordo.protocol.OrdoStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A read's start offset: an offset past a replica's end is called out of range only once a read
 * index confirmed that end; a replica that cannot confirm it answers a retriable error instead.
 */
class StartOffsetsTest {
  /** A replica whose offsets the test moves, and whose read indexes the test completes. */
  private static final class FakeLog implements StartOffsets.Log {
    long start;
    long end;
    final List<CompletableFuture<Boolean>> readIndexes = new ArrayList<>();

    FakeLog(long start, long end) {
      this.start = start;
      this.end = end;
    }

    @Override
    public long startOffset() {
      return start;
    }

    @Override
    public long endOffset() {
      return end;
    }

    @Override
    public CompletableFuture<Boolean> awaitCurrent() {
      CompletableFuture<Boolean> readIndex = new CompletableFuture<>();
      readIndexes.add(readIndex);
      return readIndex;
    }

    @Override
    public StatusRuntimeException notCurrent() {
      return OrdoStatus.exception(ErrorCode.NOT_LEADER, "not current");
    }

    @Override
    public String name() {
      return "partition t/0";
    }
  }

  private final List<Long> started = new ArrayList<>();
  private final List<StatusRuntimeException> failed = new ArrayList<>();
  /** Work handed to the executor, run when the test says. */
  private final List<Runnable> handedOff = new ArrayList<>();

  private void resolve(FakeLog log, long requested) {
    StartOffsets.resolve(
        log,
        requested,
        handedOff::add,
        new StartOffsets.Outcome() {
          @Override
          public void start(long offset) {
            started.add(offset);
          }

          @Override
          public void fail(StatusRuntimeException error) {
            failed.add(error);
          }
        });
  }

  private void runHandedOff() {
    handedOff.forEach(Runnable::run);
    handedOff.clear();
  }

  private ErrorDetail onlyFailure() {
    assertThat(started).isEmpty();
    assertThat(failed).hasSize(1);
    return OrdoStatus.detailOf(failed.get(0)).orElseThrow();
  }

  @Test
  void anOffsetWithinTheLogStartsAtOnceWithoutAReadIndex() {
    FakeLog log = new FakeLog(2, 10);

    resolve(log, 2);
    resolve(log, 7);
    resolve(log, 10);
    resolve(log, SpecialOffset.EARLIEST_VALUE);
    resolve(log, SpecialOffset.LATEST_VALUE);

    assertThat(started).containsExactly(2L, 7L, 10L, 2L, 10L);
    assertThat(log.readIndexes).isEmpty();
  }

  @Test
  void anOffsetBelowTheStartIsOutOfRangeAtOnce() {
    FakeLog log = new FakeLog(5, 10);

    resolve(log, 4);

    ErrorDetail detail = onlyFailure();
    assertThat(detail.getCode()).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE);
    assertThat(detail.getStartOffset()).isEqualTo(5);
    assertThat(detail.getEndOffset()).isEqualTo(10);
    assertThat(log.readIndexes).isEmpty();
  }

  @Test
  void anOffsetPastAStaleEndIsServedOnceAReadIndexShowsItCommitted() {
    FakeLog log = new FakeLog(0, 5);

    resolve(log, 8);
    assertThat(started).as("no answer before the read index").isEmpty();
    assertThat(failed).as("no answer before the read index").isEmpty();

    log.end = 12; // the replica applies up to the read index before jraft completes it
    log.readIndexes.get(0).complete(true);
    assertThat(started).as("the answer runs on the executor, not on Raft's thread").isEmpty();
    runHandedOff();

    assertThat(failed).isEmpty();
    assertThat(started).containsExactly(8L);
  }

  @Test
  void anOffsetPastTheConfirmedEndIsOutOfRangeWithTheConfirmedOffsets() {
    FakeLog log = new FakeLog(0, 5);

    resolve(log, 9);
    log.end = 7;
    log.readIndexes.get(0).complete(true);
    runHandedOff();

    ErrorDetail detail = onlyFailure();
    assertThat(detail.getCode()).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE);
    assertThat(detail.getEndOffset()).as("the end re-read after the read index").isEqualTo(7);
  }

  @Test
  void aReplicaThatCannotConfirmItsEndAnswersARetriableErrorNotOutOfRange() {
    FakeLog refused = new FakeLog(0, 5);
    resolve(refused, 9);
    refused.readIndexes.get(0).complete(false);
    runHandedOff();
    assertThat(onlyFailure().getCode()).isEqualTo(ErrorCode.NOT_LEADER);

    failed.clear();
    FakeLog broken = new FakeLog(0, 5);
    resolve(broken, 9);
    broken.readIndexes.get(0).completeExceptionally(new IllegalStateException("node stopped"));
    runHandedOff();
    assertThat(onlyFailure().getCode()).isEqualTo(ErrorCode.NOT_LEADER);
  }
}
