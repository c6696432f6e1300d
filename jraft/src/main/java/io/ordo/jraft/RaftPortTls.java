package io.ordo.jraft;

import com.alipay.remoting.ExtendedNettyChannelHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.ssl.SslHandler;
import java.security.GeneralSecurityException;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Mutual TLS on the Raft port (SOFABolt), for the server and the client alike, from one {@link
 * SSLContext} built once. Bolt's own TLS reads a PKCS#12 key store file and builds a context for
 * every connection it opens or accepts: tens of milliseconds of CPU on the thread that connects,
 * often one of jraft's shared timers, for every attempt to reach a dead peer, and no new
 * certificate without a restart. Here the key and trust managers decide what each new connection
 * presents and accepts, so managers that reload their files rotate certificates in place.
 */
public final class RaftPortTls {
  private final SSLContext context;

  /**
   * @param keys this node's certificate and key, presented to every peer
   * @param trust judges a peer's certificate, the server's and the client's alike (a client must
   *     present one)
   */
  public RaftPortTls(X509ExtendedKeyManager keys, X509ExtendedTrustManager trust) {
    try {
      context = SSLContext.getInstance("TLS");
      context.init(new X509ExtendedKeyManager[] {keys}, new X509ExtendedTrustManager[] {trust}, null);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM offers no TLS: " + e.getMessage(), e);
    }
  }

  /** The handlers Bolt puts first in the pipeline of each connection the Raft port accepts. */
  public ExtendedNettyChannelHandler serverHandlers() {
    return handlers(false);
  }

  /** The handlers Bolt puts first in the pipeline of each connection the Raft client opens. */
  public ExtendedNettyChannelHandler clientHandlers() {
    return handlers(true);
  }

  private ExtendedNettyChannelHandler handlers(boolean client) {
    List<ChannelHandler> front = List.of(new TlsInitializer(client));
    return new ExtendedNettyChannelHandler() {
      @Override
      public List<ChannelHandler> frontChannelHandlers() {
        return front;
      }

      @Override
      public List<ChannelHandler> backChannelHandlers() {
        return List.of();
      }
    };
  }

  /** Puts a new TLS engine at the head of each connection's pipeline, then leaves it. */
  @ChannelHandler.Sharable
  private final class TlsInitializer extends ChannelInitializer<Channel> {
    private final boolean client;

    TlsInitializer(boolean client) {
      this.client = client;
    }

    @Override
    protected void initChannel(Channel channel) {
      SSLEngine engine = context.createSSLEngine();
      engine.setUseClientMode(client);
      if (!client) {
        engine.setNeedClientAuth(true);
      }
      channel.pipeline().addFirst("tls", new SslHandler(engine));
    }
  }
}
