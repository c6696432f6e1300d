package io.ordo.client;

import io.grpc.Status;
import io.ordo.proto.v1.ErrorCode;

/**
 * The topic does not exist ({@link ErrorCode#UNKNOWN_TOPIC}), or it has no such partition ({@link
 * ErrorCode#UNKNOWN_PARTITION}). The producer raises it only after refreshing its metadata once,
 * so a topic created a moment ago is found.
 */
public class UnknownTopicException extends OrdoException {
  private static final long serialVersionUID = 1L;

  /** {@code errorCode} is {@link ErrorCode#UNKNOWN_TOPIC} or {@link ErrorCode#UNKNOWN_PARTITION}. */
  public UnknownTopicException(ErrorCode errorCode, String message, Throwable cause) {
    super(errorCode, Status.Code.NOT_FOUND, message, cause);
  }
}
