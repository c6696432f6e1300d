package io.ordo.it.api;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.it.cluster.ClusterChecks;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.protocol.TestCertificates;
import io.ordo.protocol.TlsFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A cluster secured with TLS (one authority issued every node's certificate): clients that trust
 * the authority produce and consume, and nodes forward to each other; a plaintext client or one
 * trusting another authority is refused; server reflection is off (a secured node serves it only
 * when asked to); on the Raft port, a program without a certificate the
 * authority issued cannot even finish the handshake, so it can never send a Raft message.
 */
class TlsTest {
  private static Path dir;
  private static TestCertificates.Authority ca;
  private static ProcessCluster cluster;

  @BeforeAll
  static void startSecuredCluster() throws IOException {
    dir = ProcessCluster.freshDirectory("TlsTest");
    Path certs = Files.createDirectories(dir.resolve("certs"));
    ca = TestCertificates.authority(certs, "ordo-ca");
    TestCertificates.Identity node = TestCertificates.issue(ca, certs, "ordo-node");
    cluster = ProcessCluster.start(dir, 3, Map.of(
        "--tls-cert", node.certificate().toString(), "--tls-key", node.key().toString(), "--tls-ca", ca.certificate().toString()));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aClientTrustingTheAuthorityProducesAndConsumesThroughAnyNode() throws Exception {
    try (OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).tls(ca.certificate()).build()) {
      awaitHealthy(client, 3);
      client.admin().createTopic("secured", 3, 3);
      awaitLeaders(client, "secured");
      try (Producer producer = client.producer()) {
        for (int i = 0; i < 30; i++) {
          producer.send(ProducerRecord.of("secured", "k" + i, "v" + i)).get(30, TimeUnit.SECONDS);
        }
      }
      long read = 0;
      for (int p = 0; p < 3; p++) {
        read += ClusterChecks.readAll(client, "secured", p).stream().map(ConsumerRecord::valueAsString).filter(v -> v.startsWith("v")).count();
      }
      assertThat(read).isEqualTo(30);
    }
    assertThat(Files.readString(cluster.logFile(1))).doesNotContain("runs UNSECURED");
  }

  @Test
  void aPlaintextClientOrOneTrustingAnotherAuthorityIsRefused() throws Exception {
    Path other = TestCertificates.authority(Files.createDirectories(dir.resolve("other")), "other-ca").certificate();
    try (OrdoClient plaintext = OrdoClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(Duration.ofSeconds(3)).build();
        OrdoClient stranger = OrdoClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(Duration.ofSeconds(3))
            .tls(other).build()) {
      assertThat(catchThrowable(() -> plaintext.admin().listTopics())).isNotNull();
      assertThat(catchThrowable(() -> stranger.admin().listTopics())).isNotNull();
    }
  }

  @Test
  void serverReflectionIsOffOnASecuredNode() throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilder(
        cluster.clientAddress(1), TlsChannelCredentials.newBuilder().trustManager(ca.certificate().toFile()).build()).build();
    try {
      CompletableFuture<Status> reflection = new CompletableFuture<>();
      StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .serverReflectionInfo(new StreamObserver<>() {
            @Override
            public void onNext(ServerReflectionResponse value) {
              reflection.complete(Status.OK);
            }

            @Override
            public void onError(Throwable t) {
              reflection.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
              reflection.complete(Status.OK);
            }
          });
      requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
      requests.onCompleted();

      assertThat(reflection.get(15, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void theRaftPortRefusesAHandshakeWithoutACertificateTheAuthorityIssued() throws Exception {
    Path certs = Files.createDirectories(dir.resolve("rogue"));
    TestCertificates.Authority rogueCa = TestCertificates.authority(certs, "rogue-ca");
    TestCertificates.Identity rogue = TestCertificates.issue(rogueCa, certs, "rogue");
    TestCertificates.Identity member = TestCertificates.issue(ca, certs, "member");

    assertThat(handshake(cluster.raftAddress(1), null)).as("no client certificate").isFalse();
    assertThat(handshake(cluster.raftAddress(1), rogue)).as("another authority's certificate").isFalse();
    // The check can fail: a certificate the cluster's authority issued is let in.
    assertThat(handshake(cluster.raftAddress(1), member)).as("the authority's certificate").isTrue();
  }

  /** Whether a TLS handshake with the Raft port at {@code address}, presenting {@code identity} (null: none), succeeds. */
  private static boolean handshake(String address, TestCertificates.Identity identity) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    KeyManagerFactory keys = null;
    if (identity != null) {
      char[] password = "test".toCharArray();
      Path file = identity.certificate().resolveSibling(identity.certificate().getFileName() + ".p12");
      new TlsFiles(ca.certificate(), identity.certificate(), identity.key()).writeKeyStore(file, password);
      KeyStore store = KeyStore.getInstance("PKCS12");
      try (var in = Files.newInputStream(file)) {
        store.load(in, password);
      }
      keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
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
    context.init(keys == null ? null : keys.getKeyManagers(), new TrustManager[] {trustAll}, new SecureRandom());
    String[] hostPort = address.split(":");
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
      socket.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 5_000);
      socket.setSoTimeout(5_000);
      // TLS 1.2: the server's verdict on the client's certificate comes within the handshake (under
      // 1.3 a refusal would surface only at the first read).
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      socket.startHandshake();
      return true;
    } catch (IOException refused) {
      return false;
    }
  }
}
