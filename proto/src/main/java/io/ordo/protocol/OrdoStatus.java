package io.ordo.protocol;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.proto.v1.ProduceError;
import io.ordo.proto.v1.ProduceResult;
import java.util.Optional;

/**
 * Encodes and decodes Ordo errors: a gRPC status code, a message for people, and one
 * {@link ErrorDetail} in the {@code google.rpc.Status} details for programs. The status code each
 * {@link ErrorCode} travels with is fixed here, in one place.
 */
public final class OrdoStatus {
  private OrdoStatus() {}

  /** The gRPC status code an error code is sent with. */
  public static Status.Code statusCodeOf(ErrorCode code) {
    switch (code) {
      case NOT_LEADER:
      case LEADER_NOT_AVAILABLE:
      case OUTCOME_UNKNOWN:
        return Status.Code.UNAVAILABLE;
      case UNKNOWN_TOPIC:
      case UNKNOWN_PARTITION:
      case UNKNOWN_GROUP:
      case UNKNOWN_MEMBER:
      case UNKNOWN_USER:
        return Status.Code.NOT_FOUND;
      case TOPIC_ALREADY_EXISTS:
      case GROUP_ALREADY_EXISTS:
        return Status.Code.ALREADY_EXISTS;
      case INVALID_TOPIC_NAME:
      case INVALID_PARTITION_COUNT:
      case INVALID_REPLICATION_FACTOR:
      case RECORD_TOO_LARGE:
      case BATCH_TOO_LARGE:
      case INVALID_REQUEST:
      case INVALID_GROUP_NAME:
      case INVALID_CONFIG:
      case INVALID_USER:
      case INVALID_ACL:
        return Status.Code.INVALID_ARGUMENT;
      case OFFSET_OUT_OF_RANGE:
        return Status.Code.OUT_OF_RANGE;
      case OVERLOADED:
      case LIMIT_REACHED:
        return Status.Code.RESOURCE_EXHAUSTED;
      case SEQUENCE_GAP:
        return Status.Code.ABORTED;
      case OUT_OF_ORDER_SEQUENCE:
      case STALE_GENERATION:
      case GROUP_NOT_EMPTY:
      case FEATURE_NOT_ENABLED:
        return Status.Code.FAILED_PRECONDITION;
      case UNAUTHENTICATED:
        return Status.Code.UNAUTHENTICATED;
      case NOT_AUTHORIZED:
        return Status.Code.PERMISSION_DENIED;
      default:
        return Status.Code.INTERNAL;
    }
  }

  /** An exception carrying {@code detail} and {@code message}, ready for a StreamObserver. */
  public static StatusRuntimeException exception(ErrorDetail detail, String message) {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(Code.forNumber(statusCodeOf(detail.getCode()).value()).getNumber())
            .setMessage(message)
            .addDetails(Any.pack(detail))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /** An exception with just an error code and a message. */
  public static StatusRuntimeException exception(ErrorCode code, String message) {
    return exception(ErrorDetail.newBuilder().setCode(code).build(), message);
  }

  /** {@code error} as one request's failure in a ProduceMany answer. */
  public static ProduceError produceError(Throwable error) {
    Status status = Status.fromThrowable(error);
    ProduceError.Builder out = ProduceError.newBuilder()
        .setStatusCode(status.getCode().value())
        .setMessage(status.getDescription() == null ? status.getCode().name() : status.getDescription());
    detailOf(error).ifPresent(out::setDetail);
    return out.build();
  }

  /** {@code error} as one request's answer in a ProduceMany answer. */
  public static ProduceResult failedProduce(Throwable error) {
    return ProduceResult.newBuilder().setError(produceError(error)).build();
  }

  /** The exception a Produce call would have failed with, from a ProduceMany request's failure. */
  public static StatusRuntimeException exception(ProduceError error) {
    com.google.rpc.Status.Builder status =
        com.google.rpc.Status.newBuilder().setCode(error.getStatusCode()).setMessage(error.getMessage());
    if (error.hasDetail()) {
      status.addDetails(Any.pack(error.getDetail()));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }

  /** The {@link ErrorDetail} an error carries, if it is an Ordo error. */
  public static Optional<ErrorDetail> detailOf(Throwable error) {
    com.google.rpc.Status status = StatusProto.fromThrowable(error);
    if (status == null) {
      return Optional.empty();
    }
    for (Any any : status.getDetailsList()) {
      if (any.is(ErrorDetail.class)) {
        try {
          return Optional.of(any.unpack(ErrorDetail.class));
        } catch (InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }
}
