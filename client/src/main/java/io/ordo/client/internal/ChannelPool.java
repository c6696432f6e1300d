package io.ordo.client.internal;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.ordo.protocol.Limits;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel per node address (plaintext or TLS, as the credentials say), created on first use and kept until the client
 * closes. A channel reconnects by itself, so a node that restarts at the same address is reached
 * again without a new channel. The pool holds at most one channel per address the cluster has
 * named, so its size is bounded by the cluster's.
 */
public final class ChannelPool implements AutoCloseable {
  private static final long SHUTDOWN_GRACE_SECONDS = 5;

  private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final ChannelCredentials credentials;
  private volatile boolean closed;

  public ChannelPool(ChannelCredentials credentials) {
    this.credentials = credentials;
  }

  /** The channel to {@code address} (host:port). */
  public ManagedChannel get(String address) {
    if (closed) {
      throw new IllegalStateException("client is closed");
    }
    return channels.computeIfAbsent(
        address,
        a ->
            Grpc.newChannelBuilder(a, credentials)
                .maxInboundMessageSize(Limits.MAX_MESSAGE_BYTES)
                .build());
  }

  /** Shuts every channel down, waiting a few seconds for calls in progress to end. */
  @Override
  public void close() {
    closed = true;
    channels.values().forEach(ManagedChannel::shutdown);
    try {
      for (ManagedChannel channel : channels.values()) {
        if (!channel.awaitTermination(SHUTDOWN_GRACE_SECONDS, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      channels.values().forEach(ManagedChannel::shutdownNow);
      Thread.currentThread().interrupt();
    }
  }
}
