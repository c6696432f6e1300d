package io.ordo.it.queues;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.ordo.client.OrdoClient;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.ConsumeCredit;
import io.ordo.proto.v1.ConsumeOpen;
import io.ordo.proto.v1.ConsumeRequest;
import io.ordo.proto.v1.ConsumeResponse;
import io.ordo.proto.v1.ConsumeSettle;
import io.ordo.proto.v1.CreateQueueGroupRequest;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.proto.v1.GroupServiceGrpc;
import io.ordo.proto.v1.HeartbeatRequest;
import io.ordo.proto.v1.LeasedRecord;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.QueueServiceGrpc;
import io.ordo.proto.v1.ReceiveRequest;
import io.ordo.proto.v1.RecordSettlement;
import io.ordo.proto.v1.SettleAction;
import io.ordo.proto.v1.SettleOutcome;
import io.ordo.proto.v1.SettleRequest;
import io.ordo.protocol.OrdoStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * QueueService as a client written from queues.proto sees it, on a real cluster: consumers share
 * a partition's records, settlements are fenced by consumer and delivery count, a nack comes back
 * after its delay, leases and settlements survive the partition leader's death, and bad requests
 * get precise errors.
 */
class QueueServiceTest {
  private static final String TOPIC = "jobs";
  // The tests talk to a partition's leader node by node id: leader balancing must not move it
  // mid-test (a raw stream on the old leader then ends NOT_LEADER, as it should).
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of("--leader-balance-interval-secs", "0"));

  private static ProcessCluster cluster;
  private static OrdoClient client;
  private static final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() {
    cluster = CLUSTER.processes();
    client = CLUSTER.client();
    CLUSTER.createTopic(TOPIC, 1);
    try (Producer producer = client.producer()) {
      for (int i = 0; i < 20; i++) {
        producer.send(ProducerRecord.of(TOPIC, "job-" + i).withPartition(0)).join();
      }
    }
  }

  @AfterAll
  static void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
  }

  private static ManagedChannel channel(int node) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.clientAddress(node)).usePlaintext().build();
    channels.add(channel);
    return channel;
  }

  private static QueueServiceGrpc.QueueServiceBlockingStub queues(int node) {
    return QueueServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static QueueServiceGrpc.QueueServiceBlockingStub leader() {
    return queues(awaitLeaders(client, TOPIC).partitions().get(0).leader());
  }

  private static List<LeasedRecord> receive(String group, String consumer, int max) {
    return leader().receive(ReceiveRequest.newBuilder()
        .setGroup(group).setTopic(TOPIC).setPartition(0).setConsumer(consumer).setMaxRecords(max).build())
        .getRecordsList();
  }

  private static List<SettleOutcome> settle(String group, String consumer, RecordSettlement... settlements) {
    return leader().settle(SettleRequest.newBuilder()
        .setGroup(group).setTopic(TOPIC).setPartition(0).setConsumer(consumer).addAllSettlements(List.of(settlements)).build())
        .getOutcomesList();
  }

  private static RecordSettlement settlement(LeasedRecord r, SettleAction action) {
    return RecordSettlement.newBuilder()
        .setOffset(r.getRecord().getOffset()).setDeliveries(r.getDeliveries()).setAction(action).build();
  }

  /** Creates the group, waiting out FEATURE_NOT_ENABLED while a fresh cluster finalizes its level. */
  private static void create(String group, QueuePolicy policy) {
    create(TOPIC, group, policy);
  }

  private static void create(String topic, String group, QueuePolicy policy) {
    await().atMost(Duration.ofSeconds(30)).ignoreExceptionsMatching(e -> codeOf(e) == ErrorCode.FEATURE_NOT_ENABLED)
        .until(() -> queues(1).createQueueGroup(
            CreateQueueGroupRequest.newBuilder().setGroup(group).setTopic(topic).setPolicy(policy).build()) != null);
  }

  private static ErrorCode codeOf(Throwable e) {
    return e instanceof StatusRuntimeException s
        ? OrdoStatus.detailOf(s).map(ErrorDetail::getCode).orElse(ErrorCode.ERROR_CODE_UNSPECIFIED)
        : ErrorCode.ERROR_CODE_UNSPECIFIED;
  }

  private static List<Long> offsets(List<LeasedRecord> records) {
    return records.stream().map(r -> r.getRecord().getOffset()).toList();
  }

  @Test
  void consumersShareRecordsAndLeasesAndSettlementsSurviveTheLeadersDeath() {
    create("workers", QueuePolicy.newBuilder().setLeaseMs(60_000).build());
    List<LeasedRecord> a = receive("workers", "a", 5);
    List<LeasedRecord> b = receive("workers", "b", 5);
    assertThat(offsets(a)).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(offsets(b)).containsExactly(5L, 6L, 7L, 8L, 9L);
    assertThat(a.get(0).getRecord().getValue().toStringUtf8()).isEqualTo("job-0");
    assertThat(a).allSatisfy(r -> assertThat(r.getDeliveries()).isEqualTo(1));

    RecordSettlement nack = settlement(a.get(2), SettleAction.SETTLE_NACK).toBuilder().setDelayMs(300).setReason("busy").build();
    assertThat(settle("workers", "a", settlement(a.get(0), SettleAction.SETTLE_ACK), settlement(a.get(1), SettleAction.SETTLE_ACK), nack))
        .containsOnly(SettleOutcome.SETTLED);
    assertThat(settle("workers", "a", settlement(b.get(0), SettleAction.SETTLE_ACK))).containsExactly(SettleOutcome.NOT_YOUR_LEASE);

    List<LeasedRecord> retried = new ArrayList<>();
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      retried.addAll(receive("workers", "b", 1));
      return !retried.isEmpty();
    });
    assertThat(retried).singleElement().satisfies(r -> {
      assertThat(r.getRecord().getOffset()).as("the nacked record comes before new ones").isEqualTo(2);
      assertThat(r.getDeliveries()).isEqualTo(2);
    });

    int oldLeader = awaitLeaders(client, TOPIC).partitions().get(0).leader();
    cluster.kill(oldLeader);
    await().atMost(Duration.ofSeconds(30)).until(() -> awaitLeaders(client, TOPIC).partitions().get(0).leader() != oldLeader);
    // On the new leader: a nack of the first delivery is stale, the ack of the second lands, and a
    // repeated ack is idempotent. (Had an earlier try landed without an answer, it says ALREADY_DONE.)
    List<List<SettleOutcome>> outcomes = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> outcomes.add(settle("workers", "b",
        settlement(a.get(2), SettleAction.SETTLE_NACK),
        settlement(retried.get(0), SettleAction.SETTLE_ACK),
        settlement(a.get(0), SettleAction.SETTLE_ACK))));
    assertThat(outcomes.get(0).get(0)).isIn(SettleOutcome.STALE_DELIVERY, SettleOutcome.ALREADY_DONE);
    assertThat(outcomes.get(0).get(1)).isIn(SettleOutcome.SETTLED, SettleOutcome.ALREADY_DONE);
    assertThat(outcomes.get(0).get(2)).isEqualTo(SettleOutcome.ALREADY_DONE);
    assertThat(offsets(receive("workers", "c", 3))).as("the leases held across the failover").containsExactly(10L, 11L, 12L);
    cluster.start(oldLeader);
    awaitHealthy(client, 3);
    // The other tests call nodes by id, and a restarted node refuses calls until its copy of the
    // metadata has caught up, which can be after the cluster already counts it alive.
    AdminServiceGrpc.AdminServiceBlockingStub restarted = AdminServiceGrpc.newBlockingStub(channel(oldLeader));
    await("node " + oldLeader + " serves calls").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
        restarted.withDeadlineAfter(2, TimeUnit.SECONDS).describeCluster(DescribeClusterRequest.getDefaultInstance()) != null);
  }

  @Test
  void badRequestsGetPreciseErrorsAndChangeNothing() {
    create("strict", QueuePolicy.getDefaultInstance());
    StatusRuntimeException unknown = catchThrowableOfType(StatusRuntimeException.class, () -> receive("nobody", "a", 1));
    assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(codeOf(unknown)).isEqualTo(ErrorCode.UNKNOWN_GROUP);

    StatusRuntimeException again = catchThrowableOfType(StatusRuntimeException.class,
        () -> queues(1).createQueueGroup(CreateQueueGroupRequest.newBuilder().setGroup("strict").setTopic(TOPIC).build()));
    assertThat(codeOf(again)).isEqualTo(ErrorCode.GROUP_ALREADY_EXISTS);

    StatusRuntimeException badLease = catchThrowableOfType(StatusRuntimeException.class,
        () -> queues(2).createQueueGroup(CreateQueueGroupRequest.newBuilder().setGroup("odd").setTopic(TOPIC)
            .setPolicy(QueuePolicy.newBuilder().setLeaseMs(1)).build()));
    assertThat(badLease.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(badLease.getStatus().getDescription()).contains("lease");

    assertThat(codeOf(catchThrowableOfType(StatusRuntimeException.class, () -> receive("strict", "", 1))))
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(codeOf(catchThrowableOfType(StatusRuntimeException.class, () -> receive("strict", "a", 0))))
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    StatusRuntimeException streamMember = catchThrowableOfType(StatusRuntimeException.class, () ->
        GroupServiceGrpc.newBlockingStub(channel(1)).withDeadlineAfter(10, TimeUnit.SECONDS)
            .heartbeat(HeartbeatRequest.newBuilder().setGroup("strict").addTopics(TOPIC).build()));
    assertThat(codeOf(streamMember)).isEqualTo(ErrorCode.GROUP_ALREADY_EXISTS);
    assertThat(offsets(receive("strict", "a", 2))).as("the group is as it was").containsExactly(0L, 1L);
    assertThat(settle("strict", "a", RecordSettlement.newBuilder().setOffset(15).setDeliveries(1).build()))
        .containsExactly(SettleOutcome.NOT_DELIVERED);
  }

  /** A raw Consume stream: what it has sent, and how it ended. */
  private static final class ConsumeCall implements StreamObserver<ConsumeResponse> {
    final BlockingQueue<ConsumeResponse> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    final StreamObserver<ConsumeRequest> requests;

    ConsumeCall(int node) {
      requests = QueueServiceGrpc.newStub(channel(node)).consume(this);
    }

    void open(String group) {
      open(TOPIC, group);
    }

    void open(String topic, String group) {
      requests.onNext(ConsumeRequest.newBuilder()
          .setOpen(ConsumeOpen.newBuilder().setGroup(group).setTopic(topic).setPartition(0).setConsumer("streamer"))
          .build());
    }

    void credit(int records) {
      requests.onNext(ConsumeRequest.newBuilder().setCredit(ConsumeCredit.newBuilder().setRecords(records)).build());
    }

    private String state() {
      if (!ended.isDone()) {
        return "is open";
      }
      return ended.handle((ok, error) -> error == null ? "ended" : "failed: " + error).join();
    }

    /** Deliveries until {@code count} records came, within {@code wait}. */
    List<LeasedRecord> records(int count, Duration wait) throws InterruptedException {
      List<LeasedRecord> out = new ArrayList<>();
      long deadline = System.nanoTime() + wait.toNanos();
      while (out.size() < count) {
        ConsumeResponse r = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        assertThat(r).as("%d records within %s; had %s; the stream %s", count, wait, offsets(out), state()).isNotNull();
        out.addAll(r.getDeliveries().getRecordsList());
      }
      return out;
    }

    @Override
    public void onNext(ConsumeResponse value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {
      ended.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      ended.complete(null);
    }
  }

  @Test
  void aConsumeStreamLeasesAsCreditAllowsWaitsForRecordsAndSettles() throws Exception {
    create("streamed", QueuePolicy.newBuilder().setLeaseMs(60_000).addBackoffMs(60_000).build());
    int leader = awaitLeaders(client, TOPIC).partitions().get(0).leader();
    ConsumeCall stream = new ConsumeCall(leader);
    stream.open("streamed");
    stream.credit(3);
    List<LeasedRecord> first = stream.records(3, Duration.ofSeconds(10));
    assertThat(offsets(first)).containsExactly(0L, 1L, 2L);
    ConsumeResponse more = stream.received.poll(500, TimeUnit.MILLISECONDS);
    assertThat(more == null || more.getDeliveries().getRecordsCount() == 0).as("no record past the credit").isTrue();

    stream.requests.onNext(ConsumeRequest.newBuilder().setSettle(ConsumeSettle.newBuilder().setId(7)
        .addSettlements(settlement(first.get(0), SettleAction.SETTLE_ACK))
        .addSettlements(settlement(first.get(2), SettleAction.SETTLE_NACK).toBuilder().setDelayMs(300)))
        .build());
    ConsumeResponse settled = stream.received.poll(10, TimeUnit.SECONDS);
    assertThat(settled).isNotNull();
    assertThat(settled.getSettled().getId()).isEqualTo(7);
    assertThat(settled.getSettled().getOutcomesList()).containsExactly(SettleOutcome.SETTLED, SettleOutcome.SETTLED);

    // The rest of the log (offsets 3 to 19), then a retry due 300 ms after the nack: the stream
    // wakes for it well before its 5 s heartbeat.
    stream.credit(100);
    List<LeasedRecord> rest = stream.records(18, Duration.ofSeconds(3));
    assertThat(offsets(rest)).startsWith(3L, 4L).contains(2L, 19L).doesNotHaveDuplicates().hasSize(18);
    assertThat(rest.stream().filter(r -> r.getRecord().getOffset() == 2).findFirst().orElseThrow().getDeliveries())
        .isEqualTo(2);
    // Caught up, it waits for the next record instead of answering empty.
    try (Producer producer = client.producer()) {
      producer.send(ProducerRecord.of(TOPIC, "job-late").withPartition(0)).join();
    }
    assertThat(stream.records(1, Duration.ofSeconds(5))).singleElement()
        .satisfies(r -> assertThat(r.getRecord().getValue().toStringUtf8()).isEqualTo("job-late"));

    stream.requests.onCompleted();
    stream.ended.get(10, TimeUnit.SECONDS);
    assertThat(receive("streamed", "other", 5)).as("what the stream received stays leased to it").isEmpty();
  }

  @Test
  void aCreditRunsOutAfterItsTimeToLive() throws Exception {
    String topic = "lapses"; // its own, so the record it adds is seen by no other test
    int leader = CLUSTER.createTopic(topic, 1).partitions().get(0).leader();
    create(topic, "lapsing", QueuePolicy.getDefaultInstance());
    ConsumeCall stream = new ConsumeCall(leader);
    stream.open(topic, "lapsing");
    stream.requests.onNext(ConsumeRequest.newBuilder()
        .setCredit(ConsumeCredit.newBuilder().setRecords(5).setTtlMs(300)).build());
    TimeUnit.MILLISECONDS.sleep(800);
    try (Producer producer = client.producer()) {
      producer.send(ProducerRecord.of(topic, "job-unwanted")).join();
    }
    ConsumeResponse late = stream.received.poll(1_500, TimeUnit.MILLISECONDS);
    assertThat(late == null || late.getDeliveries().getRecordsCount() == 0)
        .as("no record for a consumer whose credit ran out").isTrue();
    stream.credit(1);
    assertThat(stream.records(1, Duration.ofSeconds(10))).singleElement()
        .satisfies(r -> assertThat(r.getRecord().getValue().toStringUtf8()).isEqualTo("job-unwanted"));
    stream.requests.onCompleted();
  }

  @Test
  void aConsumeStreamRefusesAWrongStartAndANodeThatDoesNotLead() {
    create("refusing", QueuePolicy.getDefaultInstance());
    ConsumeCall creditFirst = new ConsumeCall(1);
    creditFirst.credit(1);
    assertThat(codeOf(catchThrowableOfType(ExecutionException.class, () -> creditFirst.ended.get(10, TimeUnit.SECONDS))
        .getCause())).isEqualTo(ErrorCode.INVALID_REQUEST);

    int leader = awaitLeaders(client, TOPIC).partitions().get(0).leader();
    ConsumeCall follower = new ConsumeCall(leader % 3 + 1);
    follower.open("refusing");
    StatusRuntimeException notLeader = (StatusRuntimeException) catchThrowableOfType(
        ExecutionException.class, () -> follower.ended.get(10, TimeUnit.SECONDS)).getCause();
    assertThat(codeOf(notLeader)).isEqualTo(ErrorCode.NOT_LEADER);
    assertThat(OrdoStatus.detailOf(notLeader).orElseThrow().getLeaderAddress()).isEqualTo(cluster.clientAddress(leader));
  }
}
