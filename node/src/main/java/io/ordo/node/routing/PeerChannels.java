package io.ordo.node.routing;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.ordo.protocol.Limits;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** One gRPC channel per other node's client address, made on first use and kept. */
public final class PeerChannels implements AutoCloseable {
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  public ManagedChannel to(String clientAddress) {
    return channels.computeIfAbsent(
        clientAddress,
        address ->
            NettyChannelBuilder.forTarget(address)
                .usePlaintext()
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
