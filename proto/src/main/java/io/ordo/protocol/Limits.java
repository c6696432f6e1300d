package io.ordo.protocol;

/** Hard limits of the protocol. Nodes may configure tighter ones, never looser. */
public final class Limits {
  /** Most partitions a topic may have. */
  public static final int MAX_PARTITIONS = 10_000;
  /** Highest replication factor. */
  public static final int MAX_REPLICATION_FACTOR = 7;
  /** Largest gRPC message a node or client accepts: a produce batch plus framing. */
  public static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

  private Limits() {}
}
