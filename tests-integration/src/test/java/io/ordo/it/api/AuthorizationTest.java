package io.ordo.it.api;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.CompositeChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.ordo.client.AclBinding;
import io.ordo.client.AclBinding.Operation;
import io.ordo.client.AclBinding.Resource;
import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.PartitionInfo;
import io.ordo.client.Producer;
import io.ordo.client.ProducerConfig;
import io.ordo.client.ProducerRecord;
import io.ordo.client.TopicSummary;
import io.ordo.client.internal.PasswordCredentials;
import io.ordo.it.cli.CliResult;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.CommitOffsetRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.proto.v1.GroupServiceGrpc;
import io.ordo.proto.v1.HeartbeatRequest;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.QueueServiceGrpc;
import io.ordo.proto.v1.RecordSettlement;
import io.ordo.proto.v1.SettleAction;
import io.ordo.proto.v1.SettleRequest;
import io.ordo.protocol.OrdoStatus;
import io.ordo.protocol.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A cluster enforcing ACLs (--authorization): each operation a user tries is refused
 * PERMISSION_DENIED, naming the operation and the resource, until an ACL allows it, and then works;
 * a deny wins over an allow; lists show only what the user may describe; the super user (by its
 * certificate) and the nodes (by theirs) may do anything, and they alone may speak Raft.
 */
class AuthorizationTest {
  private static final String BOB = "User:bob";
  private static Path certs;
  private static TestCertificates.Authority ca;
  private static TestCertificates.Identity node;
  /** The super user. */
  private static TestCertificates.Identity operator;
  private static ProcessCluster cluster;
  private static OrdoClient admin;
  private static OrdoClient bob;

  @BeforeAll
  static void startCluster() throws IOException {
    Path dir = ProcessCluster.freshDirectory("AuthorizationTest");
    certs = Files.createDirectories(dir.resolve("certs"));
    ca = TestCertificates.authority(certs, "ordo-ca");
    node = TestCertificates.issue(ca, certs, "ordo-node");
    operator = TestCertificates.issue(ca, certs, "operator");
    cluster = ProcessCluster.start(dir, 3, Map.of(
        "--tls-cert", node.certificate().toString(), "--tls-key", node.key().toString(), "--tls-ca", ca.certificate().toString(),
        "--require-authentication", "true", "--authorization", "true", "--super-users", "User:CN=operator"));
    admin = OrdoClient.builder().bootstrap(cluster.bootstrap()).tls(ca.certificate(), operator.certificate(), operator.key()).build();
    awaitHealthy(admin, 3); // nodes' calls to each other pass: each is a super user by its certificate
    admin.admin().upsertUser("bob", "bobs secret".toCharArray());
    bob = OrdoClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(Duration.ofSeconds(5))
        .tls(ca.certificate()).credentials("bob", "bobs secret".toCharArray()).build();
    admin.admin().createTopic("shared", 1, 3);
    awaitLeaders(admin, "shared");
  }

  @AfterAll
  static void stopCluster() {
    if (bob != null) {
      bob.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * Where ACLs are enforced, the Raft port lets in only super users' certificates (the nodes' own
   * among them): a client's certificate from the same authority cannot speak Raft.
   */
  @Test
  void theRaftPortLetsInOnlySuperUsersCertificates() throws Exception {
    TestCertificates.Identity client = TestCertificates.issue(ca, certs, "some-client");

    assertThat(RaftPortHandshake.succeeds(cluster.raftAddress(1), client)).as("a client's certificate").isFalse();
    assertThat(RaftPortHandshake.succeeds(cluster.raftAddress(1), operator)).as("a super user's certificate").isTrue();
    assertThat(RaftPortHandshake.succeeds(cluster.raftAddress(1), node)).as("the nodes' certificate").isTrue();
  }

  @Test
  void eachOperationIsRefusedUntilAnAclAllowsIt() {
    deniedUntilAllowed("create topic 'bob-topic'", AclBinding.allow(BOB, Resource.TOPIC, "bob-topic", Operation.CREATE),
        () -> bob.admin().createTopic("bob-topic", 1, 3));
    deniedUntilAllowed("describe topic 'shared'", AclBinding.allow(BOB, Resource.TOPIC, "shared", Operation.DESCRIBE),
        () -> bob.admin().describeTopic("shared"));
    deniedUntilAllowed("produce topic 'shared'", AclBinding.allow(BOB, Resource.TOPIC, "shared", Operation.PRODUCE), () -> {
      try (Producer producer = bob.producer()) {
        producer.send(ProducerRecord.of("shared", "k", "v")).get(10, TimeUnit.SECONDS);
      }
    });
    deniedUntilAllowed("consume topic 'shared'", AclBinding.allow(BOB, Resource.TOPIC, "shared", Operation.CONSUME),
        () -> bob.consumer().fetch("shared", 0, 0, 10, 1 << 20, Duration.ZERO));
    deniedUntilAllowed("alter topic 'shared'", AclBinding.allow(BOB, Resource.TOPIC, "shared", Operation.ALTER),
        () -> bob.admin().alterTopicConfig("shared", Map.of("retention.ms", "86400000"), List.of()));
    deniedUntilAllowed("create group 'bob-jobs'", AclBinding.allow(BOB, Resource.GROUP, "bob-", Operation.CREATE).withPrefix(),
        () -> bob.admin().createQueueGroup("bob-jobs", "shared", QueuePolicy.getDefaultInstance()),
        // the node writes the group's dead letters on its own authority: the creator must be allowed to
        AclBinding.allow(BOB, Resource.TOPIC, "shared.dlq", Operation.CREATE), AclBinding.allow(BOB, Resource.TOPIC, "shared.dlq", Operation.PRODUCE));
    admin.admin().createQueueGroup("jobs", "shared", QueuePolicy.getDefaultInstance());
    deniedUntilAllowed("describe group 'jobs'", AclBinding.allow(BOB, Resource.GROUP, "jobs", Operation.DESCRIBE),
        () -> bob.admin().describeQueueGroup("jobs"));
    admin.admin().createTopic("jobs-source", 1, 3);
    awaitLeaders(admin, "jobs-source");
    admin.admin().createQueueGroup("source-jobs", "jobs-source", QueuePolicy.getDefaultInstance());
    // dead letters are the topic's records: describing the group and the topic is not enough to read them
    deniedUntilAllowed("consume topic 'jobs-source'", AclBinding.allow(BOB, Resource.TOPIC, "jobs-source", Operation.CONSUME),
        () -> bob.admin().deadLetters("source-jobs", 10), AclBinding.allow(BOB, Resource.GROUP, "source-jobs", Operation.DESCRIBE),
        AclBinding.allow(BOB, Resource.TOPIC, "jobs-source", Operation.DESCRIBE));
    deniedUntilAllowed("redrive group 'source-jobs'", AclBinding.allow(BOB, Resource.GROUP, "source-jobs", Operation.REDRIVE),
        () -> bob.admin().redriveDeadLetters("source-jobs"));
    deniedUntilAllowed("delete group 'bob-jobs'", AclBinding.allow(BOB, Resource.GROUP, "bob-jobs", Operation.DELETE),
        () -> bob.admin().deleteGroup("bob-jobs"));
    deniedUntilAllowed("delete topic 'bob-topic'", AclBinding.allow(BOB, Resource.TOPIC, "bob-topic", Operation.DELETE),
        () -> bob.admin().deleteTopic("bob-topic"));
    deniedUntilAllowed("describe the cluster", AclBinding.allow(BOB, Resource.CLUSTER, "", Operation.DESCRIBE),
        () -> bob.admin().listUsers());
    deniedUntilAllowed("alter the cluster", AclBinding.allow(BOB, Resource.CLUSTER, "", Operation.ALTER),
        () -> bob.admin().upsertUser("carol", "carols secret".toCharArray()));
  }

  /**
   * The calls a group member and a queue consumer make, sent as they are: each is refused until
   * its ACL is added, then gets past the ACLs (to an answer, or to an error of the group's own).
   */
  @Test
  void joiningCommittingAndSettlingAreRefusedUntilAnAclAllowsThem() throws Exception {
    admin.admin().createTopic("work", 1, 3);
    awaitLeaders(admin, "work");
    admin.admin().createQueueGroup("work-queue", "work", QueuePolicy.getDefaultInstance());
    admin.admin().upsertUser("finn", "finns secret".toCharArray());
    admin.admin().addAcls(List.of(AclBinding.allow("User:finn", Resource.TOPIC, "work", Operation.CONSUME)));
    ManagedChannel channel = Grpc.newChannelBuilder(cluster.clientAddress(1), CompositeChannelCredentials.create(
        TlsChannelCredentials.newBuilder().trustManager(ca.certificate().toFile()).build(),
        new PasswordCredentials("finn", "finns secret".toCharArray()))).build();
    try {
      GroupServiceGrpc.GroupServiceBlockingStub groups = GroupServiceGrpc.newBlockingStub(channel);
      QueueServiceGrpc.QueueServiceBlockingStub queues = QueueServiceGrpc.newBlockingStub(channel);
      refusedUntilAllowed("join group 'finn-group'", AclBinding.allow("User:finn", Resource.GROUP, "finn-group", Operation.JOIN),
          () -> groups.withDeadlineAfter(10, TimeUnit.SECONDS)
              .heartbeat(HeartbeatRequest.newBuilder().setGroup("finn-group").addTopics("work").build()));
      refusedUntilAllowed("commit group 'finn-group'", AclBinding.allow("User:finn", Resource.GROUP, "finn-group", Operation.COMMIT),
          () -> groups.withDeadlineAfter(10, TimeUnit.SECONDS).commitOffset(CommitOffsetRequest.newBuilder()
              .setGroup("finn-group").setTopic("work").setPartition(0).setMemberId("nobody").setOffset(0).build()));
      refusedUntilAllowed("settle group 'work-queue'", AclBinding.allow("User:finn", Resource.GROUP, "work-queue", Operation.SETTLE),
          () -> queues.withDeadlineAfter(10, TimeUnit.SECONDS).settle(SettleRequest.newBuilder()
              .setGroup("work-queue").setTopic("work").setPartition(0).setConsumer("finn-1")
              .addSettlements(RecordSettlement.newBuilder().setOffset(0).setDeliveries(1).setAction(SettleAction.SETTLE_ACK)).build()));
    } finally {
      channel.shutdownNow();
    }
  }

  /** {@code call} as it is sent, refused naming {@code what}; once {@code acl} is added it gets past the ACLs. */
  private static void refusedUntilAllowed(String what, AclBinding acl, Runnable call) {
    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(refused).as(what + " refused").isNotNull();
    assertThat(OrdoStatus.detailOf(refused).map(ErrorDetail::getCode)).contains(ErrorCode.NOT_AUTHORIZED);
    assertThat(refused.getStatus().getDescription()).contains("may not " + what);
    admin.admin().addAcls(List.of(acl));
    await(what + " allowed").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      try {
        call.run();
      } catch (StatusRuntimeException e) {
        assertThat(OrdoStatus.detailOf(e).map(ErrorDetail::getCode)).as(e.toString()).isNotEqualTo(Optional.of(ErrorCode.NOT_AUTHORIZED));
      }
    });
  }

  /**
   * A producer sends the batches it has for a node in one call: a topic the user may not write to
   * fails its own batch and no other.
   */
  @Test
  void aCallWithABatchTheUserMayNotWriteFailsOnlyThatBatch() throws Exception {
    admin.admin().createTopic("open.many", 3, 3);
    admin.admin().createTopic("closed.many", 3, 3);
    admin.admin().addAcls(List.of(
        AclBinding.allow("User:erin", Resource.TOPIC, "open.", Operation.PRODUCE).withPrefix(),
        AclBinding.allow("User:erin", Resource.TOPIC, "*", Operation.DESCRIBE)));
    admin.admin().upsertUser("erin", "erins secret".toCharArray());
    List<PartitionInfo> open = awaitLeaders(admin, "open.many").partitions();
    List<PartitionInfo> closed = awaitLeaders(admin, "closed.many").partitions();
    PartitionInfo[] sameLeader = open.stream()
        .flatMap(o -> closed.stream().filter(c -> c.leader() == o.leader()).map(c -> new PartitionInfo[] {o, c}))
        .findFirst().orElseThrow(() -> new AssertionError("no node leads partitions of both topics: " + open + closed));
    try (OrdoClient erin = OrdoClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(Duration.ofSeconds(5))
        .tls(ca.certificate()).credentials("erin", "erins secret".toCharArray()).build()) {
      await("erin may write to open.many").atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
        try (Producer producer = erin.producer()) {
          producer.send(ProducerRecord.of("open.many", "warm-up").withPartition(0)).get(10, TimeUnit.SECONDS);
        }
      });
      try (Producer producer = erin.producer(ProducerConfig.builder().linger(Duration.ofMinutes(1)).build())) {
        var allowed = producer.send(ProducerRecord.of("open.many", "v").withPartition(sameLeader[0].partition()));
        var refused = producer.send(ProducerRecord.of("closed.many", "v").withPartition(sameLeader[1].partition()));
        producer.flush();
        assertThat(allowed).isCompletedWithValueMatching(m -> m.offset() >= 0);
        assertDenied(refused::get, "produce topic 'closed.many'");
      }
    }
  }

  @Test
  void aDenyWinsAndListsShowOnlyWhatTheUserMayDescribe() {
    admin.admin().createTopic("logs.web", 1, 3);
    admin.admin().createTopic("secret.keys", 1, 3);
    admin.admin().addAcls(List.of(
        AclBinding.allow("User:*", Resource.TOPIC, "logs.", Operation.CONSUME).withPrefix(),
        AclBinding.allow("User:dave", Resource.TOPIC, "*", Operation.ALL),
        AclBinding.deny("User:dave", Resource.TOPIC, "secret.", Operation.ALL).withPrefix()));
    admin.admin().upsertUser("dave", "daves secret".toCharArray());
    try (OrdoClient dave = OrdoClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(Duration.ofSeconds(5))
        .tls(ca.certificate()).credentials("dave", "daves secret".toCharArray()).build()) {
      await("dave sees the topics but the secret one").atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
          assertThat(dave.admin().listTopics()).extracting(TopicSummary::name).contains("logs.web", "shared").doesNotContain("secret.keys"));
      assertDenied(() -> dave.admin().describeTopic("secret.keys"), "describe topic 'secret.keys'");
      await("bob sees what he may describe").atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
          assertThat(bob.admin().listTopics()).extracting(TopicSummary::name).contains("logs.web").doesNotContain("secret.keys"));
    }
  }

  @Test
  void aPythonClientFromTheProtoFilesAloneWorksAsAUserOverTls() throws Exception {
    admin.admin().upsertUser("py", "pythons secret".toCharArray());
    admin.admin().addAcls(List.of(
        AclBinding.allow("User:py", Resource.TOPIC, "*", Operation.ALL), AclBinding.allow("User:py", Resource.GROUP, "*", Operation.ALL)));
    Path password = Files.writeString(certs.resolve("py.password"), "pythons secret\n");
    String nodes = String.join(",", cluster.clientAddress(1), cluster.clientAddress(2), cluster.clientAddress(3));

    String output = PythonTour.run(nodes, Map.of(
        "ORDO_TLS_CA", ca.certificate().toString(), "ORDO_USER", "py", "ORDO_PASSWORD_FILE", password.toString()));

    assertThat(output).contains("tour: produced 120 keyed records through 3 nodes").contains("tour: OK").endsWith("exit 0");
  }

  @Test
  void theCliAddsListsAndRemovesAcls() throws Exception {
    TestCertificates.Identity operator = TestCertificates.issue(ca, certs, "operator");
    String[] tls = {"--tls-ca", ca.certificate().toString(), "--tls-cert", operator.certificate().toString(),
        "--tls-key", operator.key().toString()};
    CliResult added = CliResult.run(cluster.bootstrap(), "", CliResult.concat(new String[] {"acl", "add", "--principal", "User:erin",
        "--operation", "produce,consume", "--topic", "erin.", "--prefixed"}, tls));
    assertThat(added.exitCode()).as(added.toString()).isZero();

    CliResult listed = CliResult.run(cluster.bootstrap(), "", CliResult.concat(new String[] {"acl", "list", "--principal", "User:erin"}, tls));
    assertThat(listed.exitCode()).as(listed.toString()).isZero();
    assertThat(listed.out()).contains("User:erin").contains("produce").contains("consume").contains("prefixed");

    CliResult removed = CliResult.run(cluster.bootstrap(), "", CliResult.concat(new String[] {"acl", "remove", "--principal", "User:erin",
        "--operation", "produce,consume", "--topic", "erin.", "--prefixed"}, tls));
    assertThat(removed.out()).contains("removed 2 of 2");
    assertThat(admin.admin().listAcls("User:erin", null, null)).isEmpty();
  }

  /**
   * {@code action} as bob is refused naming {@code what}; once {@code acl} (and {@code alsoNeeded})
   * are added it works (on whichever node answers).
   */
  private static void deniedUntilAllowed(String what, AclBinding acl, ThrowingRunnable action, AclBinding... alsoNeeded) {
    if (alsoNeeded.length > 0) {
      admin.admin().addAcls(List.of(alsoNeeded));
      // until every node has applied them, a call may be refused for what they allow
      await(what + " is what is refused").atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertDenied(action, what));
    } else {
      assertDenied(action, what);
    }
    admin.admin().addAcls(List.of(acl));
    await(what + " allowed").atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(action::run);
  }

  private static void assertDenied(ThrowingRunnable action, String what) {
    Throwable failure = catchThrowableOfType(Throwable.class, action::run);
    OrdoException refused = failure instanceof OrdoException e ? e
        : failure != null && failure.getCause() instanceof OrdoException e ? e : null;
    assertThat(refused).as(what + " refused, not " + failure).isNotNull();
    assertThat(refused.errorCode()).isEqualTo(ErrorCode.NOT_AUTHORIZED);
    assertThat(refused.statusCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(refused.getMessage()).contains("may not " + what);
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run() throws Exception;
  }
}
