package io.ordo.client.internal;

import io.grpc.Status;
import io.ordo.client.NotLeaderException;
import io.ordo.client.OffsetOutOfRangeException;
import io.ordo.client.OrdoException;
import io.ordo.client.UnknownTopicException;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.protocol.OrdoStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Turns gRPC failures into the client's typed exceptions; the one place that mapping lives. */
public final class Errors {
  private Errors() {}

  /** The {@link OrdoException} that describes {@code error}, unwrapping future wrappers. */
  public static OrdoException toOrdo(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof OrdoException) {
      return (OrdoException) t;
    }
    Status status = Status.fromThrowable(t);
    ErrorDetail detail = OrdoStatus.detailOf(t).orElse(null);
    if (detail == null) {
      return new OrdoException(
          ErrorCode.ERROR_CODE_UNSPECIFIED, status.getCode(), describe(status), t);
    }
    String message =
        status.getDescription() != null ? status.getDescription() : detail.getCode().name();
    switch (detail.getCode()) {
      case NOT_LEADER:
        return new NotLeaderException(
            message, detail.getLeaderNodeId(), detail.getLeaderAddress(), t);
      case UNKNOWN_TOPIC:
      case UNKNOWN_PARTITION:
        return new UnknownTopicException(detail.getCode(), message, t);
      case OFFSET_OUT_OF_RANGE:
        return new OffsetOutOfRangeException(
            message, detail.getStartOffset(), detail.getEndOffset(), t);
      default:
        return new OrdoException(detail.getCode(), status.getCode(), message, t);
    }
  }

  /**
   * Whether a produce that failed with {@code error} certainly did not reach the partition's log:
   * the node refused it before proposing it. Anything else (a lost connection, a deadline, a
   * leader change while replicating) may have been committed.
   */
  public static boolean definitelyNotWritten(OrdoException error) {
    switch (error.errorCode()) {
      case NOT_LEADER:
      case LEADER_NOT_AVAILABLE:
      case OVERLOADED:
      case UNKNOWN_TOPIC:
      case UNKNOWN_PARTITION:
      case INVALID_TOPIC_NAME:
      case RECORD_TOO_LARGE:
      case BATCH_TOO_LARGE:
      case INVALID_REQUEST:
      case OUT_OF_ORDER_SEQUENCE:
      case SEQUENCE_GAP:
      case UNAUTHENTICATED:
      case NOT_AUTHORIZED:
        return true;
      default:
        return false;
    }
  }

  /** The error an operation fails with when an earlier attempt may have taken effect. */
  public static OrdoException outcomeUnknown(String what, OrdoException last) {
    return new OrdoException(
        ErrorCode.OUTCOME_UNKNOWN,
        Status.Code.UNAVAILABLE,
        what + " may or may not have taken effect (an earlier attempt's outcome is unknown); last error: "
            + last.getMessage(),
        last);
  }

  /** Waits up to {@code timeoutNanos} for {@code future}, failing with an {@link OrdoException}. */
  public static <T> T await(CompletableFuture<T> future, long timeoutNanos, String what) {
    try {
      return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw toOrdo(e);
    } catch (TimeoutException e) {
      throw timeout(what + " did not complete in time", null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OrdoException(
          ErrorCode.ERROR_CODE_UNSPECIFIED, Status.Code.CANCELLED, what + " was interrupted", e);
    }
  }

  /** A client-side timeout; retriable, since a later attempt may succeed. */
  public static OrdoException timeout(String message, Throwable cause) {
    return new OrdoException(
        ErrorCode.ERROR_CODE_UNSPECIFIED, Status.Code.DEADLINE_EXCEEDED, message, cause);
  }

  /** Whether the node said the topic or partition does not exist. */
  public static boolean isNotFound(OrdoException error) {
    return error.errorCode() == ErrorCode.UNKNOWN_TOPIC
        || error.errorCode() == ErrorCode.UNKNOWN_PARTITION;
  }

  private static String describe(Status status) {
    StringBuilder message = new StringBuilder(status.getCode().name());
    if (status.getDescription() != null) {
      message.append(": ").append(status.getDescription());
    }
    if (status.getCause() != null && status.getCause().getMessage() != null) {
      message.append(" (").append(status.getCause().getMessage()).append(')');
    }
    return message.toString();
  }
}
