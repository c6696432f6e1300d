package io.ordo.it.api;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.UserInfo;
import io.ordo.it.cli.CliResult;
import io.ordo.it.cluster.ClusterChecks;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.GroupServiceGrpc;
import io.ordo.proto.v1.NodeServiceGrpc;
import io.ordo.proto.v1.ProducerServiceGrpc;
import io.ordo.proto.v1.QueueServiceGrpc;
import io.ordo.proto.v1.SecurityServiceGrpc;
import io.ordo.protocol.TestCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A cluster that requires authentication (--require-authentication): a client presenting a
 * certificate the authority issued works, and the nodes (presenting theirs) work together; a
 * client with TLS but no certificate gets UNAUTHENTICATED saying what to present; users
 * authenticate with their current password only (through the client and the CLI); no password or
 * key reaches a log; health checks need no certificate.
 */
class AuthenticationTest {
  private static Path certs;
  private static TestCertificates.Authority ca;
  private static ProcessCluster cluster;

  @BeforeAll
  static void startCluster() throws IOException {
    Path dir = ProcessCluster.freshDirectory("AuthenticationTest");
    certs = Files.createDirectories(dir.resolve("certs"));
    ca = TestCertificates.authority(certs, "ordo-ca");
    TestCertificates.Identity node = TestCertificates.issue(ca, certs, "ordo-node");
    cluster = ProcessCluster.start(dir, 3, Map.of(
        "--tls-cert", node.certificate().toString(), "--tls-key", node.key().toString(), "--tls-ca", ca.certificate().toString(),
        "--require-authentication", "true"));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aClientWithTheAuthoritysCertificateWorksAndOneWithoutIsToldWhatToPresent() throws Exception {
    TestCertificates.Identity alice = TestCertificates.issue(ca, certs, "alice");
    try (OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap())
            .tls(ca.certificate(), alice.certificate(), alice.key()).build();
        OrdoClient anonymous = OrdoClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(Duration.ofSeconds(5))
            .tls(ca.certificate()).build()) {
      awaitHealthy(client, 3); // every node answered the others: node-to-node calls authenticate too
      client.admin().createTopic("authenticated", 2, 3);
      awaitLeaders(client, "authenticated");
      try (Producer producer = client.producer()) {
        producer.send(ProducerRecord.of("authenticated", "k", "v")).get(30, TimeUnit.SECONDS);
      }

      OrdoException refused = catchThrowableOfType(OrdoException.class, () -> anonymous.admin().listTopics());

      assertThat(refused.errorCode()).isEqualTo(ErrorCode.UNAUTHENTICATED);
      assertThat(refused.getMessage()).contains("requires authentication").contains("client certificate");
      assertThat(ClusterChecks.readAll(client, "authenticated", 0).size() + ClusterChecks.readAll(client, "authenticated", 1).size())
          .isEqualTo(1);
    }
  }

  @Test
  void usersAuthenticateWithTheirCurrentPasswordOnly() throws Exception {
    TestCertificates.Identity admin = TestCertificates.issue(ca, certs, "admin");
    try (OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap())
        .tls(ca.certificate(), admin.certificate(), admin.key()).build()) {
      awaitHealthy(client, 3);
      client.admin().upsertUser("bob@example.com", "first secret".toCharArray());
      assertThat(client.admin().listUsers()).extracting(UserInfo::name, UserInfo::mechanism)
          .containsExactly(tuple("bob@example.com", "SCRAM-SHA-256"));

      try (OrdoClient bob = asUser("bob@example.com", "first secret");
          OrdoClient impostor = asUser("bob@example.com", "first secreT")) {
        // Every node learns of the user as it applies the metadata: any node may answer.
        await("bob accepted").atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> bob.admin().listTopics() != null);
        assertUnauthenticated(impostor, "unknown user or wrong password");

        client.admin().upsertUser("bob@example.com", "second secret".toCharArray());
        await("bob's old password refused").atMost(Duration.ofSeconds(30))
            .untilAsserted(() -> assertUnauthenticated(bob, "wrong password"));
      }
      try (OrdoClient bob = asUser("bob@example.com", "second secret")) {
        await("bob's new password accepted").atMost(Duration.ofSeconds(30)).ignoreExceptions()
            .until(() -> bob.admin().listTopics() != null);
        client.admin().deleteUser("bob@example.com");
        await("deleted bob refused").atMost(Duration.ofSeconds(30))
            .untilAsserted(() -> assertUnauthenticated(bob, "unknown user"));
      }
      assertThat(client.admin().listUsers()).isEmpty();
    }
  }

  @Test
  void theCliCreatesUsersAndAuthenticatesAsOne() throws Exception {
    TestCertificates.Identity admin = TestCertificates.issue(ca, certs, "cli-admin");
    String[] asAdmin = {"--tls-ca", ca.certificate().toString(), "--tls-cert", admin.certificate().toString(),
        "--tls-key", admin.key().toString()};
    CliResult created = CliResult.run(cluster.bootstrap(), "carols secret\n",
        CliResult.concat(new String[] {"user", "create", "carol", "--new-password-file", "-"}, asAdmin));
    assertThat(created.exitCode()).as(created.toString()).isZero();
    assertThat(created.out()).contains("user carol authenticates with the new password");

    Path password = Files.writeString(certs.resolve("carol.password"), "carols secret\n");
    await("carol accepted").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      CliResult listed = CliResult.run(cluster.bootstrap(), "", "user", "list", "--output", "json",
          "--tls-ca", ca.certificate().toString(), "--user", "carol", "--password-file", password.toString());
      assertThat(listed.exitCode()).as(listed.toString()).isZero();
      assertThat(listed.out()).contains("\"name\":\"carol\"").contains("SCRAM-SHA-256").doesNotContain("carols secret");
    });
    CliResult withoutTls = CliResult.run(cluster.bootstrap(), "", "topic", "list", "--user", "carol", "--password-file", password.toString());
    assertThat(withoutTls.exitCode()).isEqualTo(2);
    assertThat(withoutTls.err()).contains("need --tls-ca");
  }

  private static OrdoClient asUser(String user, String password) {
    return OrdoClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(Duration.ofSeconds(5))
        .tls(ca.certificate()).credentials(user, password.toCharArray()).build();
  }

  private static void assertUnauthenticated(OrdoClient client, String messagePart) {
    OrdoException refused = catchThrowableOfType(OrdoException.class, () -> client.admin().listTopics());
    assertThat(refused).isNotNull();
    assertThat(refused.errorCode()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    assertThat(refused.getMessage()).contains(messagePart);
  }

  /** Every method of every service but health, called without credentials and with a wrong password, is refused. */
  @Test
  void everyCallIsRefusedWithoutCredentialsOrWithWrongOnes() throws Exception {
    TestCertificates.Identity admin = TestCertificates.issue(ca, certs, "every-call-admin");
    try (OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap())
        .tls(ca.certificate(), admin.certificate(), admin.key()).build()) {
      awaitHealthy(client, 3);
      client.admin().upsertUser("mallory", "the right one".toCharArray());
    }
    ChannelCredentials trustOnly = TlsChannelCredentials.newBuilder().trustManager(ca.certificate().toFile()).build();
    ManagedChannel channel = Grpc.newChannelBuilder(cluster.clientAddress(1), trustOnly).build();
    Metadata wrongPassword = new Metadata();
    wrongPassword.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Basic " + Base64.getEncoder().encodeToString("mallory:a wrong one".getBytes(StandardCharsets.UTF_8)));
    List<ServiceDescriptor> services = List.of(AdminServiceGrpc.getServiceDescriptor(), ProducerServiceGrpc.getServiceDescriptor(),
        ConsumerServiceGrpc.getServiceDescriptor(), GroupServiceGrpc.getServiceDescriptor(), QueueServiceGrpc.getServiceDescriptor(),
        SecurityServiceGrpc.getServiceDescriptor(), NodeServiceGrpc.getServiceDescriptor());
    try {
      int methods = 0;
      for (ServiceDescriptor service : services) {
        for (MethodDescriptor<?, ?> method : service.getMethods()) {
          assertThat(callOnce(channel, method, new Metadata())).as(method.getFullMethodName() + " without credentials")
              .isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(callOnce(channel, method, wrongPassword)).as(method.getFullMethodName() + " with a wrong password")
              .isEqualTo(Status.Code.UNAUTHENTICATED);
          methods++;
        }
      }
      assertThat(methods).as("every method of the API").isGreaterThan(30);
    } finally {
      channel.shutdownNow();
    }
  }

  /** How a call of {@code method} with an empty request (and {@code headers}) ends. */
  @SuppressWarnings("unchecked")
  private static <Q, R> Status.Code callOnce(ManagedChannel channel, MethodDescriptor<Q, R> method, Metadata headers) throws Exception {
    Q empty = (Q) ((MethodDescriptor.PrototypeMarshaller<Q>) method.getRequestMarshaller()).getMessagePrototype();
    CompletableFuture<Status> closed = new CompletableFuture<>();
    ClientCall<Q, R> call = channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, headers);
    call.request(1);
    call.sendMessage(empty);
    call.halfClose();
    return closed.get(30, TimeUnit.SECONDS).getCode();
  }

  /**
   * Passwords, right and wrong, through the client and the CLI, and the nodes' private key, appear
   * in no node's log and in none of the CLI's output.
   */
  @Test
  void noSecretReachesALogOrTheCliOutput() throws Exception {
    TestCertificates.Identity adminIdentity = TestCertificates.issue(ca, certs, "secrets-admin");
    String right = "canary-right-" + System.nanoTime();
    String wrong = "canary-wrong-" + System.nanoTime();
    try (OrdoClient admin = OrdoClient.builder().bootstrap(cluster.bootstrap())
        .tls(ca.certificate(), adminIdentity.certificate(), adminIdentity.key()).build()) {
      admin.admin().upsertUser("dave", right.toCharArray());
      try {
        try (OrdoClient dave = asUser("dave", right)) {
          await("dave accepted").atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> dave.admin().listTopics() != null);
        }
        try (OrdoClient impostor = asUser("dave", wrong)) {
          assertUnauthenticated(impostor, "wrong password");
        }
        Path wrongFile = Files.writeString(certs.resolve("dave.wrong"), wrong + "\n");
        CliResult refused = CliResult.run(cluster.bootstrap(), "", "topic", "list",
            "--tls-ca", ca.certificate().toString(), "--user", "dave", "--password-file", wrongFile.toString());
        assertThat(refused.exitCode()).as(refused.toString()).isNotZero();
        CliResult created = CliResult.run(cluster.bootstrap(), right + "\n", "user", "create", "erin", "--new-password-file", "-",
            "--tls-ca", ca.certificate().toString(), "--tls-cert", adminIdentity.certificate().toString(),
            "--tls-key", adminIdentity.key().toString());
        assertThat(created.exitCode()).as(created.toString()).isZero();

        List<String> secrets = List.of(right, wrong, basic("dave", right), basic("dave", wrong), "PRIVATE KEY",
            keyLine(certs.resolve("ordo-node.key")));
        for (int n = 1; n <= 3; n++) {
          String log = Files.readString(cluster.logFile(n));
          for (String secret : secrets) {
            assertThat(log).as("node %d's log", n).doesNotContain(secret);
          }
        }
        for (CliResult cli : List.of(refused, created)) {
          for (String secret : secrets) {
            assertThat(cli.out() + cli.err()).as("the CLI's output").doesNotContain(secret);
          }
        }
      } finally {
        admin.admin().deleteUser("dave");
        if (admin.admin().listUsers().stream().anyMatch(u -> u.name().equals("erin"))) {
          admin.admin().deleteUser("erin");
        }
      }
    }
  }

  private static String basic(String user, String password) {
    return Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** A line from the middle of a PEM key: a log holding the key would hold it. */
  private static String keyLine(Path pem) throws IOException {
    List<String> lines = Files.readAllLines(pem);
    return lines.get(lines.size() / 2);
  }

  @Test
  void healthChecksNeedNoCertificate() throws Exception {
    ChannelCredentials trustOnly = TlsChannelCredentials.newBuilder().trustManager(ca.certificate().toFile()).build();
    ManagedChannel channel = Grpc.newChannelBuilder(cluster.clientAddress(1), trustOnly).build();
    try {
      // The node may still be starting: a refusal would come at once, not as a connection refused.
      await("node 1 serving").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(
          () -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance()).getStatus(),
          status -> status == ServingStatus.SERVING);

    } finally {
      channel.shutdownNow();
    }
  }
}
