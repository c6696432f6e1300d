package io.ordo.client.internal;

import io.grpc.Status;
import io.ordo.client.OrdoException;
import io.ordo.proto.v1.ErrorCode;
import java.util.concurrent.TimeUnit;

/** The back-off wait of a synchronous retry loop, on the caller's own thread. */
final class Sleeper {
  private Sleeper() {}

  /** Sleeps {@code nanos}; an interrupt ends {@code what} with a CANCELLED error. */
  static void sleep(long nanos, String what) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OrdoException(
          ErrorCode.ERROR_CODE_UNSPECIFIED, Status.Code.CANCELLED, what + " was interrupted", e);
    }
  }
}
