package io.ordo.node.routing;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.ordo.protocol.Limits;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel per other node's client address, made on first use and kept; with TLS when the
 * node has it, presenting the node's own certificate.
 */
public final class PeerChannels implements AutoCloseable {
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final ChannelCredentials credentials;

  public PeerChannels(ChannelCredentials credentials) {
    this.credentials = credentials;
  }

  public ManagedChannel to(String clientAddress) {
    return channels.computeIfAbsent(
        clientAddress,
        address ->
            NettyChannelBuilder.forTarget(address, credentials)
                .maxInboundMessageSize(Limits.MAX_MESSAGE_BYTES)
                .build());
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel c : channels.values()) {
      try {
        c.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
