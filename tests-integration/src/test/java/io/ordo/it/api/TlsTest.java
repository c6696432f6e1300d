package io.ordo.it.api;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A cluster secured with TLS (one authority issued every node's certificate): clients that trust
 * the authority produce and consume, and nodes forward to each other; a plaintext client or one
 * trusting another authority is refused; server reflection is off (a secured node serves it only
 * when asked to); on the Raft port, a program without a certificate the
 * authority issued cannot even finish the handshake, so it can never send a Raft message; a
 * replaced certificate takes effect on both ports without a restart.
 */
class TlsTest {
  private static Path dir;
  private static TestCertificates.Authority ca;
  /** The nodes' certificate; {@link #aReplacedCertificateTakesEffectWithoutARestart} replaces its files. */
  private static TestCertificates.Identity node;
  private static ProcessCluster cluster;

  @BeforeAll
  static void startSecuredCluster() throws IOException {
    dir = ProcessCluster.freshDirectory("TlsTest");
    Path certs = Files.createDirectories(dir.resolve("certs"));
    ca = TestCertificates.authority(certs, "ordo-ca");
    node = TestCertificates.issue(ca, certs, "ordo-node");
    cluster = ProcessCluster.start(dir, 3, Map.of(
        "--tls-cert", node.certificate().toString(), "--tls-key", node.key().toString(), "--tls-ca", ca.certificate().toString(),
        "--tls-reload-secs", "1"));
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

    assertThat(RaftPortHandshake.succeeds(cluster.raftAddress(1), null)).as("no client certificate").isFalse();
    assertThat(RaftPortHandshake.succeeds(cluster.raftAddress(1), rogue)).as("another authority's certificate").isFalse();
    // The check can fail: a certificate the cluster's authority issued is let in.
    assertThat(RaftPortHandshake.succeeds(cluster.raftAddress(1), member)).as("the authority's certificate").isTrue();
  }

  /**
   * A node's certificate replaced on disk is what its client and Raft ports present to new
   * connections within a reload period, without a restart; the nodes, which now connect to each
   * other with it, keep replicating.
   */
  @Test
  void aReplacedCertificateTakesEffectWithoutARestart() throws Exception {
    X509Certificate before = RaftPortHandshake.serverCertificate(cluster.raftAddress(1), node).orElseThrow();
    TestCertificates.Identity renewed = TestCertificates.issue(ca, Files.createDirectories(dir.resolve("renewed")), "ordo-node");
    // Each file replaced whole, as a Secret's update or a certificate agent would.
    Files.move(Files.copy(renewed.key(), node.key().resolveSibling("node.key.new")), node.key(), StandardCopyOption.ATOMIC_MOVE);
    Files.move(Files.copy(renewed.certificate(), node.certificate().resolveSibling("node.pem.new")), node.certificate(), StandardCopyOption.ATOMIC_MOVE);
    X509Certificate expected = RaftPortHandshake.certificate(renewed.certificate());
    assertThat(expected.getSerialNumber()).isNotEqualTo(before.getSerialNumber());

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (int n = 1; n <= 3; n++) {
        assertThat(RaftPortHandshake.serverCertificate(cluster.raftAddress(n), node).map(X509Certificate::getSerialNumber))
            .as("node %d's Raft port", n).contains(expected.getSerialNumber());
        assertThat(clientPortCertificate(cluster.clientAddress(n)).getSerialNumber()).as("node %d's client port", n)
            .isEqualTo(expected.getSerialNumber());
      }
    });
    try (OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).tls(ca.certificate()).build()) {
      client.admin().createTopic("after-renewal", 3, 3);
      awaitLeaders(client, "after-renewal");
      try (Producer producer = client.producer()) {
        producer.send(ProducerRecord.of("after-renewal", "k", "v")).get(30, TimeUnit.SECONDS);
      }
    }
  }

  /** The certificate the client port at {@code address} presents. */
  private static X509Certificate clientPortCertificate(String address) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    KeyStore authorities = KeyStore.getInstance(KeyStore.getDefaultType());
    authorities.load(null, null);
    authorities.setCertificateEntry("ca", RaftPortHandshake.certificate(ca.certificate()));
    trust.init(authorities);
    context.init(null, trust.getTrustManagers(), new SecureRandom());
    String[] hostPort = address.split(":");
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(hostPort[0], Integer.parseInt(hostPort[1]))) {
      socket.setSoTimeout(5_000);
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }
}
