package io.ordo.client;

import io.grpc.Status;
import io.ordo.proto.v1.ErrorCode;

/**
 * An operation failed. Carries the Ordo {@link ErrorCode} (or {@link
 * ErrorCode#ERROR_CODE_UNSPECIFIED} when the failure had none, e.g. a connection error or a
 * client-side timeout) and the gRPC status code, and says whether retrying may succeed.
 */
public class OrdoException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode errorCode;
  private final Status.Code statusCode;

  /** An error with the given codes, message and cause (which may be null). */
  public OrdoException(
      ErrorCode errorCode, Status.Code statusCode, String message, Throwable cause) {
    super(message, cause);
    this.errorCode = errorCode;
    this.statusCode = statusCode;
  }

  /** The Ordo error code; {@link ErrorCode#ERROR_CODE_UNSPECIFIED} when the error carried none. */
  public ErrorCode errorCode() {
    return errorCode;
  }

  /** The gRPC status code of the failed call, or the one that best describes a local failure. */
  public Status.Code statusCode() {
    return statusCode;
  }

  /**
   * Whether the same operation may succeed if tried again: another node leads now, a leader is
   * being elected, the node is overloaded or unreachable, or the outcome is unknown (then a retry
   * may write the records twice).
   */
  public boolean isRetriable() {
    switch (errorCode) {
      case NOT_LEADER:
      case LEADER_NOT_AVAILABLE:
      case OUTCOME_UNKNOWN:
      case OVERLOADED:
      case FEATURE_NOT_ENABLED: // until every node of a starting or upgrading cluster has it
      case SEQUENCE_GAP: // once the requests before it are resent
        return true;
      case ERROR_CODE_UNSPECIFIED:
        // No Ordo error detail: the transport failed (a node's own INTERNAL errors carry one).
        return statusCode == Status.Code.UNAVAILABLE
            || statusCode == Status.Code.DEADLINE_EXCEEDED
            || statusCode == Status.Code.RESOURCE_EXHAUSTED
            || statusCode == Status.Code.INTERNAL;
      default:
        return false;
    }
  }
}
