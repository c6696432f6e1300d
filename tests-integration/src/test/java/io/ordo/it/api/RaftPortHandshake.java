package io.ordo.it.api;

import io.grpc.util.AdvancedTlsX509KeyManager;
import io.ordo.protocol.TestCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** A TLS handshake with a node's Raft port, as a program that is not a node would try one. */
final class RaftPortHandshake {
  private RaftPortHandshake() {}

  /** The first certificate of a PEM file. */
  static X509Certificate certificate(Path pem) throws GeneralSecurityException, IOException {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  /** Whether a handshake with {@code address}, presenting {@code identity} (null: none), succeeds. */
  static boolean succeeds(String address, TestCertificates.Identity identity) throws GeneralSecurityException, IOException {
    return serverCertificate(address, identity).isPresent();
  }

  /**
   * The certificate the Raft port at {@code address} presents in a handshake where this side
   * presents {@code identity} (null: none); empty if the server refused the handshake.
   */
  static Optional<X509Certificate> serverCertificate(String address, TestCertificates.Identity identity)
      throws GeneralSecurityException, IOException {
    KeyManager[] keys = null;
    if (identity != null) {
      AdvancedTlsX509KeyManager identityKeys = new AdvancedTlsX509KeyManager();
      identityKeys.updateIdentityCredentials(identity.certificate().toFile(), identity.key().toFile());
      keys = new KeyManager[] {identityKeys};
    }
    // Trusts any server: what is tested is whether the server lets this client in.
    TrustManager trustAll = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys, new TrustManager[] {trustAll}, new SecureRandom());
    String[] hostPort = address.split(":");
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
      socket.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 5_000);
      socket.setSoTimeout(5_000);
      // TLS 1.2: the server's verdict on the client's certificate comes within the handshake (under
      // 1.3 a refusal would surface only at the first read).
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      socket.startHandshake();
      return Optional.of((X509Certificate) socket.getSession().getPeerCertificates()[0]);
    } catch (IOException refused) {
      return Optional.empty();
    }
  }
}
