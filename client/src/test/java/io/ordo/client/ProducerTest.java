package io.ordo.client;

import static io.ordo.client.testing.FakeCluster.error;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.ordo.client.testing.FakeCluster;
import io.ordo.client.testing.FakeCluster.Rpc;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.Record;
import java.time.Duration;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProducerTest {
  private FakeCluster cluster;
  private OrdoClient client;

  @BeforeEach
  void start() throws Exception {
    cluster = new FakeCluster(3);
    cluster.createTopic("events", 3);
    client =
        OrdoClient.builder()
            .bootstrap(cluster.bootstrap())
            .requestTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    cluster.close();
  }

  private static ProducerConfig.Builder config() {
    return ProducerConfig.builder()
        .retryBackoffMin(Duration.ofMillis(5))
        .retryBackoffMax(Duration.ofMillis(20));
  }

  private static List<String> values(List<Record> log) {
    return log.stream().map(r -> r.getValue().toStringUtf8()).toList();
  }

  @Test
  void everyRecordIsAcknowledgedOnceAtItsOffsetInSendOrder() throws Exception {
    try (Producer producer = client.producer(config().build())) {
      List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        acks.add(producer.send(ProducerRecord.of("events", "v" + i).withPartition(1)));
      }
      for (int i = 0; i < acks.size(); i++) {
        RecordMetadata metadata = acks.get(i).get(10, SECONDS);
        assertThat(metadata.partition()).isEqualTo(1);
        assertThat(metadata.offset()).isEqualTo(i);
      }
    }
    assertThat(values(cluster.log("events", 1)))
        .containsExactlyElementsOf(
            java.util.stream.IntStream.range(0, 500).mapToObj(i -> "v" + i).toList());
  }

  @Test
  void followsTheNotLeaderHintToTheNewLeader() throws Exception {
    try (Producer producer = client.producer(config().build())) {
      producer.send(ProducerRecord.of("events", "before").withPartition(0)).get(10, SECONDS);
      cluster.setLeader("events", 0, 2);
      RecordMetadata after =
          producer.send(ProducerRecord.of("events", "after").withPartition(0)).get(10, SECONDS);
      assertThat(after.offset()).isEqualTo(1);
    }
    assertThat(values(cluster.log("events", 0))).containsExactly("before", "after");
    assertThat(cluster.calls(1, Rpc.PRODUCE)).isEqualTo(2);
    assertThat(cluster.calls(2, Rpc.PRODUCE)).isEqualTo(1);
  }

  @Test
  void retriesRetriableErrorsAndKeepsPartitionOrder() throws Exception {
    cluster.failNext(1, Rpc.PRODUCE, error(ErrorCode.OVERLOADED));
    cluster.failNext(1, Rpc.PRODUCE, error(ErrorCode.LEADER_NOT_AVAILABLE));
    cluster.failNext(1, Rpc.PRODUCE, Status.UNAVAILABLE.asRuntimeException());
    cluster.failNext(1, Rpc.PRODUCE, Status.DEADLINE_EXCEEDED.asRuntimeException());
    cluster.failNext(1, Rpc.PRODUCE, error(ErrorCode.OUTCOME_UNKNOWN));
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    try (Producer producer = client.producer(config().batchBytes(200).build())) {
      for (int i = 0; i < 100; i++) {
        acks.add(producer.send(ProducerRecord.of("events", "v" + i).withPartition(0)));
      }
      producer.flush();
    }
    for (int i = 0; i < acks.size(); i++) {
      assertThat(acks.get(i)).isCompletedWithValueMatching(m -> m.offset() >= 0);
    }
    assertThat(values(cluster.log("events", 0)))
        .containsExactlyElementsOf(
            java.util.stream.IntStream.range(0, 100).mapToObj(i -> "v" + i).toList());
  }

  @Test
  void sendsUpToFiveRequestsToAPartitionBeforeTheFirstIsAnswered() throws Exception {
    cluster.holdProduces();
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    try (Producer producer = client.producer(config().batchBytes(1).linger(Duration.ZERO).build())) {
      for (int i = 0; i < 40; i++) {
        acks.add(producer.send(ProducerRecord.of("events", "v" + i).withPartition(0)));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.produceRequests().size() == 5);
      // In sequence order (they may arrive in another): the first leads, the rest follow it.
      List<ProduceRequest> inFlight = cluster.produceRequests().stream()
          .sorted(java.util.Comparator.comparingLong(ProduceRequest::getFirstSequence)).toList();
      assertThat(inFlight).extracting(ProduceRequest::getFirstSequence).containsExactly(0L, 1L, 2L, 3L, 4L);
      assertThat(inFlight).extracting(ProduceRequest::getFollowsPrevious).containsExactly(false, true, true, true, true);
      cluster.releaseProduces();
      producer.flush();
    }
    assertThat(acks).allSatisfy(a -> assertThat(a).isCompleted());
    assertThat(values(cluster.log("events", 0)))
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 40).mapToObj(i -> "v" + i).toList());
  }

  @Test
  void sendsAtMostMaxInFlightPerNodeCallsToANodeAcrossItsPartitions() throws Exception {
    cluster.createTopic("many", 9); // node 1 leads partitions 0, 3 and 6
    cluster.holdProduces();
    List<Integer> nodeOnes = List.of(0, 3, 6);
    try (Producer producer =
        client.producer(config().batchBytes(1).linger(Duration.ZERO).maxInFlightPerNode(2).build())) {
      for (int i = 0; i < 10; i++) {
        for (int partition : nodeOnes) {
          producer.send(ProducerRecord.of("many", "v" + i).withPartition(partition));
        }
      }
      // 5 per partition would be 5 calls of 3 requests.
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.calls(1, Rpc.PRODUCE_MANY) >= 2);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10))
          .until(() -> cluster.calls(1, Rpc.PRODUCE_MANY) == 2);
      assertThat(cluster.produceRequests()).hasSizeLessThanOrEqualTo(6);
      cluster.releaseProduces();
      producer.flush();
    }
    for (int partition : nodeOnes) {
      assertThat(values(cluster.log("many", partition)))
          .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 10).mapToObj(i -> "v" + i).toList());
    }
  }

  @Test
  void theBatchesReadyForANodeTravelInOneCallEachAnsweredOnItsOwn() throws Exception {
    cluster.createTopic("many", 9); // node 1 leads partitions 0, 3 and 6
    // The first request of the call is refused: only its batch goes again.
    cluster.failNext(1, Rpc.PRODUCE, error(ErrorCode.OVERLOADED));
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    try (Producer producer = client.producer(config().linger(Duration.ofMinutes(1)).build())) {
      for (int partition : List.of(0, 3, 6)) {
        acks.add(producer.send(ProducerRecord.of("many", "v" + partition).withPartition(partition)));
      }
      producer.flush();
    }
    assertThat(acks).allSatisfy(a -> assertThat(a).isCompletedWithValueMatching(m -> m.offset() == 0));
    assertThat(cluster.calls(1, Rpc.PRODUCE_MANY)).isEqualTo(2);
    assertThat(cluster.calls(1, Rpc.PRODUCE)).isEqualTo(4);
    for (int partition : List.of(0, 3, 6)) {
      assertThat(values(cluster.log("many", partition))).containsExactly("v" + partition);
    }
  }

  @Test
  void aCallCarriesAtMostAMebibyteOfRecordsUnlessOneBatchIsLarger() throws Exception {
    cluster.createTopic("many", 9); // node 1 leads partitions 0, 3 and 6
    try (Producer producer = client.producer(
        config().linger(Duration.ofMinutes(1)).batchBytes(2_000_000).maxRecordBytes(1_500_000).build())) {
      producer.send(ProducerRecord.of("many", new byte[400_000]).withPartition(0));
      producer.send(ProducerRecord.of("many", new byte[400_000]).withPartition(3));
      producer.send(ProducerRecord.of("many", new byte[400_000]).withPartition(6));
      producer.flush();
      assertThat(cluster.calls(1, Rpc.PRODUCE_MANY)).isEqualTo(2); // 800 kB, then 400 kB
      producer.send(ProducerRecord.of("many", new byte[1_200_000]).withPartition(0));
      producer.flush();
      assertThat(cluster.calls(1, Rpc.PRODUCE_MANY)).isEqualTo(3);
    }
  }

  /**
   * The partition recognises a retry only among the producer's last 5 appends: with the oldest
   * request unanswered, a sixth must wait even though the four behind it were acknowledged, or a
   * retry of the oldest would be refused as committed at offsets no longer on record.
   */
  @Test
  void sendsNoRequestFiveOrMoreAheadOfTheOldestUnanswered() throws Exception {
    cluster.holdProduces();
    try (Producer producer = client.producer(config().batchBytes(1).linger(Duration.ZERO).build())) {
      for (int i = 0; i < 10; i++) {
        producer.send(ProducerRecord.of("events", "v" + i).withPartition(0));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.produceRequests().size() == 5);
      cluster.releaseProduces(request -> request.getFirstSequence() != 0);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10))
          .until(() -> cluster.produceRequests().size() == 5);
      cluster.releaseProduces();
      producer.flush();
    }
    assertThat(values(cluster.log("events", 0)))
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 10).mapToObj(i -> "v" + i).toList());
  }

  @Test
  void theRequestsBehindAFailedOneAreAppendedOnlyAfterItsRetry() throws Exception {
    // The first request fails, the four sent behind it reach the partition: they must not be
    // appended before the first one's retry.
    cluster.failNext(1, Rpc.PRODUCE, error(ErrorCode.OVERLOADED));
    try (Producer producer = client.producer(config().batchBytes(1).linger(Duration.ZERO).build())) {
      for (int i = 0; i < 40; i++) {
        producer.send(ProducerRecord.of("events", "v" + i).withPartition(0));
      }
      producer.flush();
    }
    assertThat(values(cluster.log("events", 0)))
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 40).mapToObj(i -> "v" + i).toList());
  }

  @Test
  void aNotIdempotentProducerSendsOneRequestAtATime() throws Exception {
    cluster.holdProduces();
    try (Producer producer = client.producer(config().idempotent(false).batchBytes(1).linger(Duration.ZERO).build())) {
      for (int i = 0; i < 40; i++) {
        producer.send(ProducerRecord.of("events", "v" + i).withPartition(0));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.produceRequests().size() == 1);
      cluster.releaseProduces();
      producer.flush();
    }
    assertThat(values(cluster.log("events", 0)))
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 40).mapToObj(i -> "v" + i).toList());
  }

  @Test
  void aRefusalAfterAnAttemptOfUnknownOutcomeIsReportedAsUnknown() throws Exception {
    // The first attempt may have been committed; the second is refused. The record may exist, so
    // the producer must not report a definite failure.
    cluster.failNext(1, Rpc.PRODUCE, error(ErrorCode.OUTCOME_UNKNOWN));
    cluster.failNext(1, Rpc.PRODUCE, error(ErrorCode.INVALID_REQUEST));
    try (Producer producer = client.producer(config().build())) {
      assertFailsWith(
          producer.send(ProducerRecord.of("events", "maybe").withPartition(0)), ErrorCode.OUTCOME_UNKNOWN, true);
    }
  }

  private static void assertFailsWith(CompletableFuture<RecordMetadata> ack, ErrorCode code, boolean retriable) {
    assertThatThrownBy(() -> ack.get(10, SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            OrdoException.class,
            e -> {
              assertThat(e.errorCode()).isEqualTo(code);
              assertThat(e.isRetriable()).isEqualTo(retriable);
            });
  }

  @Test
  void failsTheBatchAtOnceOnANonRetriableError() throws Exception {
    cluster.failNext(1, Rpc.PRODUCE, error(ErrorCode.INVALID_REQUEST));
    try (Producer producer = client.producer(config().build())) {
      assertFailsWith(
          producer.send(ProducerRecord.of("events", "bad").withPartition(0)), ErrorCode.INVALID_REQUEST, false);
    }
    assertThat(cluster.calls(1, Rpc.PRODUCE)).isEqualTo(1);
    assertThat(cluster.log("events", 0)).isEmpty();
  }

  @Test
  void anUnknownTopicFailsWithUnknownTopicException() {
    try (Producer producer = client.producer(config().build())) {
      assertThatThrownBy(() -> producer.send(ProducerRecord.of("nope", "x")).get(10, SECONDS))
          .cause()
          .isInstanceOf(UnknownTopicException.class);
      assertThatThrownBy(
              () -> producer.send(ProducerRecord.of("events", "x").withPartition(3)).get(10, SECONDS))
          .cause()
          .isInstanceOfSatisfying(
              UnknownTopicException.class,
              e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_PARTITION));
    }
  }

  @Test
  void aTopicDeletedUnderTheProducerFailsAfterOneRefresh() throws Exception {
    try (Producer producer = client.producer(config().build())) {
      producer.send(ProducerRecord.of("events", "x").withPartition(0)).get(10, SECONDS);
      client.admin().deleteTopic("events");
      assertThatThrownBy(
              () -> producer.send(ProducerRecord.of("events", "y").withPartition(0)).get(10, SECONDS))
          .cause()
          .isInstanceOf(UnknownTopicException.class);
    }
  }

  @Test
  void aRecordAboveMaxRecordBytesFailsWithoutBeingSent() {
    try (Producer producer = client.producer(config().maxRecordBytes(100).build())) {
      CompletableFuture<RecordMetadata> ack =
          producer.send(ProducerRecord.of("events", new byte[200]));
      assertThat(ack).isCompletedExceptionally();
      assertThatThrownBy(ack::join)
          .cause()
          .isInstanceOfSatisfying(
              OrdoException.class,
              e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.RECORD_TOO_LARGE);
                assertThat(e.getMessage()).contains("maxRecordBytes of 100");
              });
    }
    assertThat(cluster.produceRequests()).isEmpty();
  }

  @Test
  void sendFailsAfterMaxBlockWhileTheBufferStaysFull() throws Exception {
    cluster.holdProduces();
    ProducerConfig small =
        config()
            .maxBufferedBytes(1_000)
            .maxRecordBytes(500)
            .maxBlock(Duration.ofMillis(200))
            .linger(Duration.ZERO)
            .build();
    Producer producer = client.producer(small);
    List<CompletableFuture<RecordMetadata>> held = new ArrayList<>();
    CompletableFuture<RecordMetadata> rejected = null;
    for (int i = 0; i < 20 && rejected == null; i++) {
      CompletableFuture<RecordMetadata> ack =
          producer.send(ProducerRecord.of("events", new byte[300]).withPartition(0));
      if (ack.isCompletedExceptionally()) {
        rejected = ack;
      } else {
        held.add(ack);
      }
    }
    assertThat(rejected).isNotNull();
    assertThat(held).hasSize(3);
    assertThatThrownBy(rejected::join)
        .cause()
        .isInstanceOfSatisfying(
            OrdoException.class,
            e -> assertThat(e.statusCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    cluster.releaseProduces();
    producer.close();
    for (int i = 0; i < held.size(); i++) {
      assertThat(held.get(i).get(10, SECONDS).offset()).isEqualTo(i);
    }
  }

  @Test
  void lingerGathersRecordsIntoBatchesOfAtMostBatchBytes() throws Exception {
    try (Producer producer =
        client.producer(config().linger(Duration.ofMinutes(1)).batchBytes(1_000).build())) {
      for (int i = 0; i < 30; i++) {
        producer.send(ProducerRecord.of("events", new byte[95]).withPartition(2));
      }
      producer.flush();
    }
    // A request may be sent again: one that overtook the request before it is refused (SEQUENCE_GAP).
    List<ProduceRequest> requests = cluster.produceRequests();
    assertThat(cluster.log("events", 2)).hasSize(30);
    assertThat(requests.stream().map(ProduceRequest::getFirstSequence).distinct()).hasSize(3);
    assertThat(requests).allSatisfy(r -> assertThat(r.getSerializedSize()).isLessThan(1_100));
  }

  @Test
  void keylessRecordsFillBatchesOnEveryPartition() throws Exception {
    try (Producer producer = client.producer(config().batchBytes(500).build())) {
      List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        acks.add(producer.send(ProducerRecord.of("events", new byte[95])));
      }
      producer.flush();
      assertThat(acks.stream().map(a -> a.join().partition()).distinct()).hasSize(3);
    }
  }

  @Test
  void keylessRecordsSentOneAtATimeMoveOnAfterABatchsWorthOfBytes() throws Exception {
    // Each batch holds one record and never fills: counting batches would move on at every
    // record, so each write carried one record; counting bytes moves on after about five.
    try (Producer producer = client.producer(config().linger(Duration.ZERO).batchBytes(500).build())) {
      List<Integer> partitions = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        partitions.add(producer.send(ProducerRecord.of("events", new byte[95])).get(10, SECONDS).partition());
      }
      long moves = IntStream.range(1, partitions.size()).filter(i -> !partitions.get(i).equals(partitions.get(i - 1))).count();
      assertThat(partitions).containsOnly(0, 1, 2).contains(0, 1, 2);
      assertThat(moves).isBetween(4L, 8L);
    }
  }

  @Test
  void aBootstrapNodeThatNeverAnswersDoesNotHoldUpTheTopicLookup() throws Exception {
    // A frozen node: the kernel accepts the connection, nobody ever answers on it.
    try (ServerSocket frozen = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        OrdoClient viaFrozen =
            OrdoClient.builder()
                .bootstrap("127.0.0.1:" + frozen.getLocalPort() + "," + cluster.bootstrap())
                .requestTimeout(Duration.ofSeconds(30))
                .build();
        Producer producer = viaFrozen.producer(config().maxBlock(Duration.ofSeconds(3)).build())) {
      assertThat(producer.send(ProducerRecord.of("events", "k", "v")).get(10, SECONDS).offset()).isZero();
    }
  }

  @Test
  void keyedRecordsGoToTheirKeysPartition() throws Exception {
    try (Producer producer = client.producer(config().build())) {
      RecordMetadata a = producer.send(ProducerRecord.of("events", "k1", "a")).get(10, SECONDS);
      RecordMetadata b = producer.send(ProducerRecord.of("events", "k1", "b")).get(10, SECONDS);
      assertThat(a.partition())
          .isEqualTo(io.ordo.protocol.KeyPartitioner.partition("k1".getBytes(), 3))
          .isEqualTo(b.partition());
      assertThat(b.offset()).isEqualTo(a.offset() + 1);
    }
  }

  @Test
  void aPartitionWithoutLeaderFailsAfterTheDeliveryTimeout() {
    cluster.setLeader("events", 0, 0);
    try (Producer producer =
        client.producer(config().deliveryTimeout(Duration.ofMillis(300)).build())) {
      assertThatThrownBy(
              () -> producer.send(ProducerRecord.of("events", "x").withPartition(0)).get(10, SECONDS))
          .cause()
          .isInstanceOfSatisfying(
              OrdoException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                assertThat(e.getMessage()).contains("deliveryTimeout");
              });
    }
  }

  @Test
  void survivesADeadLeaderOnceAnotherNodeLeads() throws Exception {
    try (Producer producer = client.producer(config().build())) {
      producer.send(ProducerRecord.of("events", "a").withPartition(0)).get(10, SECONDS);
      cluster.stop(1);
      cluster.setLeader("events", 0, 3);
      assertThat(
              producer.send(ProducerRecord.of("events", "b").withPartition(0)).get(10, SECONDS).offset())
          .isEqualTo(1);
    }
  }

  @Test
  void sendAfterCloseIsRejected() {
    Producer producer = client.producer(config().build());
    producer.close();
    assertThatThrownBy(() -> producer.send(ProducerRecord.of("events", "x")))
        .isInstanceOf(IllegalStateException.class);
  }
}
