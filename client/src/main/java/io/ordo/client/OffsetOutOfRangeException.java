package io.ordo.client;

import io.grpc.Status;
import io.ordo.proto.v1.ErrorCode;

/**
 * The requested offset is outside the partition's readable range {@code [startOffset,
 * endOffset]}: below the start (removed by retention) or beyond the end of the log.
 */
public class OffsetOutOfRangeException extends OrdoException {
  private static final long serialVersionUID = 1L;

  private final long startOffset;
  private final long endOffset;

  /** The readable range at the time of the request was {@code [startOffset, endOffset]}. */
  public OffsetOutOfRangeException(
      String message, long startOffset, long endOffset, Throwable cause) {
    super(ErrorCode.OFFSET_OUT_OF_RANGE, Status.Code.OUT_OF_RANGE, message, cause);
    this.startOffset = startOffset;
    this.endOffset = endOffset;
  }

  /** The partition's first readable offset. */
  public long startOffset() {
    return startOffset;
  }

  /** The offset the partition's next record will get. */
  public long endOffset() {
    return endOffset;
  }
}
