package io.ordo.node.routing;

import io.grpc.Context;
import io.grpc.Deadline;
import java.util.concurrent.TimeUnit;

/**
 * How long a node may wait on behalf of the gRPC call it is serving: its own limit, cut short so
 * that the answer still reaches the caller, through a forwarding node too, before the caller's
 * deadline. A wait that runs past that deadline helps nobody: the caller has already given up.
 */
public final class CallerDeadline {
  /** Time kept back from the caller's deadline for the answer to travel back. */
  static final long MARGIN_MS = 500;
  /** The least a wait is given, so that a late call still gets one quick try. */
  static final long MIN_MS = 50;

  private CallerDeadline() {}

  /** {@code limitMs}, or less when the current call's deadline leaves less than that plus the margin. */
  public static long cap(long limitMs) {
    Deadline deadline = Context.current().getDeadline();
    if (deadline == null) {
      return limitMs;
    }
    long left = deadline.timeRemaining(TimeUnit.MILLISECONDS) - MARGIN_MS;
    return Math.max(MIN_MS, Math.min(limitMs, left));
  }
}
