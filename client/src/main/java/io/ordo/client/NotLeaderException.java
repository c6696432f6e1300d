package io.ordo.client;

import io.grpc.Status;
import io.ordo.proto.v1.ErrorCode;

/**
 * The node asked does not lead the partition (or the metadata group). The client follows the
 * hint by itself; this surfaces only when retries are exhausted.
 */
public class NotLeaderException extends OrdoException {
  private static final long serialVersionUID = 1L;

  private final int leaderNodeId;
  private final String leaderAddress;

  /** The leader is {@code leaderNodeId} (0 when unknown) at {@code leaderAddress} ("" unknown). */
  public NotLeaderException(
      String message, int leaderNodeId, String leaderAddress, Throwable cause) {
    super(ErrorCode.NOT_LEADER, Status.Code.UNAVAILABLE, message, cause);
    this.leaderNodeId = leaderNodeId;
    this.leaderAddress = leaderAddress;
  }

  /** The node id of the leader as the answering node knew it, 0 when it did not know. */
  public int leaderNodeId() {
    return leaderNodeId;
  }

  /** The leader's client address, host:port, or the empty string when unknown. */
  public String leaderAddress() {
    return leaderAddress;
  }
}
