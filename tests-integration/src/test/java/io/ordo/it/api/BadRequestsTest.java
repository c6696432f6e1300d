package io.ordo.it.api;

import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.metric;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.ordo.client.OrdoClient;
import io.ordo.client.PartitionInfo;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.CreateTopicRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.proto.v1.FetchRequest;
import io.ordo.proto.v1.ListTopicsRequest;
import io.ordo.proto.v1.PartitionAppend;
import io.ordo.proto.v1.ProduceManyRequest;
import io.ordo.proto.v1.ProduceManyResponse;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.ProducerServiceGrpc;
import io.ordo.proto.v1.Record;
import io.ordo.protocol.Limits;
import io.ordo.protocol.OrdoStatus;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Malformed and oversized requests get a precise status and an ErrorDetail a program can act on,
 * and leave the node and the partition as they were; a caller short of time still gets an answer.
 */
class BadRequestsTest {
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of());

  private static ProcessCluster cluster;
  private static OrdoClient client;
  private static ManagedChannel channel;
  private static PartitionInfo partition;

  @BeforeAll
  static void start() {
    cluster = CLUSTER.processes();
    client = CLUSTER.client();
    partition = CLUSTER.createTopic("strict", 1).partitions().get(0);
    channel =
        ManagedChannelBuilder.forTarget(cluster.clientAddress(partition.leader()))
            .usePlaintext()
            .maxInboundMessageSize(Limits.MAX_MESSAGE_BYTES)
            .build();
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
  }

  private static ProducerServiceGrpc.ProducerServiceBlockingStub producer() {
    return ProducerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static StatusRuntimeException produceFails(ProduceRequest request) {
    return catchThrowableOfType(StatusRuntimeException.class, () -> producer().produce(request));
  }

  private static ErrorCode codeOf(StatusRuntimeException e) {
    return OrdoStatus.detailOf(e).map(ErrorDetail::getCode).orElse(ErrorCode.ERROR_CODE_UNSPECIFIED);
  }

  private static Record record(int valueBytes) {
    return Record.newBuilder().setValue(ByteString.copyFrom(new byte[valueBytes])).build();
  }

  @Test
  void oversizeRecordIsRefusedNamingTheLimit() {
    StatusRuntimeException e =
        produceFails(ProduceRequest.newBuilder().setTopic("strict").setPartition(0).addRecords(record(2 << 20)).build());
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(codeOf(e)).isEqualTo(ErrorCode.RECORD_TOO_LARGE);
    assertThat(e.getStatus().getDescription()).contains("1048576").contains("max-record-bytes");
  }

  @Test
  void aPasswordSentWithoutTlsIsRefusedAndNeverChecked() {
    Metadata basic = new Metadata();
    basic.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Basic " + Base64.getEncoder().encodeToString("bob:secret".getBytes(StandardCharsets.UTF_8)));
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () ->
        AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(basic))
            .listTopics(ListTopicsRequest.getDefaultInstance()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(codeOf(e)).isEqualTo(ErrorCode.UNAUTHENTICATED);
    assertThat(e.getStatus().getDescription()).contains("only over TLS");
  }

  @Test
  void malformedProduceRequestsAreRefused() {
    StatusRuntimeException empty = produceFails(ProduceRequest.newBuilder().setTopic("strict").setPartition(0).build());
    assertThat(codeOf(empty)).isEqualTo(ErrorCode.INVALID_REQUEST);

    StatusRuntimeException noSuchPartition =
        produceFails(ProduceRequest.newBuilder().setTopic("strict").setPartition(7).addRecords(record(1)).build());
    assertThat(noSuchPartition.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(codeOf(noSuchPartition)).isEqualTo(ErrorCode.UNKNOWN_PARTITION);

    StatusRuntimeException noSuchTopic =
        produceFails(ProduceRequest.newBuilder().setTopic("nope").addRecords(record(1)).build());
    assertThat(codeOf(noSuchTopic)).isEqualTo(ErrorCode.UNKNOWN_TOPIC);

    StatusRuntimeException idempotentWithoutPartition =
        produceFails(ProduceRequest.newBuilder().setTopic("strict").setProducerId(5).addRecords(record(1)).build());
    assertThat(codeOf(idempotentWithoutPartition)).isEqualTo(ErrorCode.INVALID_REQUEST);
  }

  @Test
  void aProduceManyCallAnswersEachRequestOnItsOwn() {
    String metrics = cluster.metricsAddress(partition.leader());
    String refusedSeries = "ordo_produce_requests_total{outcome=\"UNKNOWN_PARTITION\"}";
    double refusedBefore = metric(metrics, refusedSeries).orElse(0);
    ProduceRequest good = ProduceRequest.newBuilder().setTopic("strict").setPartition(0).addRecords(record(1)).build();
    ProduceManyResponse answer = producer().produceMany(ProduceManyRequest.newBuilder()
        .addRequests(good)
        .addRequests(good.toBuilder().setPartition(7))
        .addRequests(good.toBuilder().clearPartition())
        .addRequests(good.toBuilder().setTopic("nope"))
        .addRequests(good.toBuilder().addRecords(record(2)))
        .build());

    assertThat(answer.getResultsList()).extracting(r -> r.hasAppend() ? "append"
            : OrdoStatus.exception(r.getError()).getStatus().getCode() + " " + codeOf(OrdoStatus.exception(r.getError())))
        .containsExactly("append", "NOT_FOUND UNKNOWN_PARTITION", "INVALID_ARGUMENT INVALID_REQUEST", "NOT_FOUND UNKNOWN_TOPIC", "append");
    assertThat(answer.getResults(1).getError().getMessage()).contains("no partition 7");
    PartitionAppend first = answer.getResults(0).getAppend();
    PartitionAppend last = answer.getResults(4).getAppend();
    assertThat(last.getBaseOffset()).isEqualTo(first.getBaseOffset() + 1);
    assertThat(last.getRecordCount()).isEqualTo(2);
    assertThat(metric(metrics, refusedSeries)).hasValue(refusedBefore + 1);

    StatusRuntimeException empty = catchThrowableOfType(
        StatusRuntimeException.class, () -> producer().produceMany(ProduceManyRequest.getDefaultInstance()));
    assertThat(codeOf(empty)).isEqualTo(ErrorCode.INVALID_REQUEST);
  }

  @Test
  void offsetsOutsideTheLogAreOutOfRangeWithTheRange() {
    producer().produce(ProduceRequest.newBuilder().setTopic("strict").setPartition(0).addRecords(record(3)).build());
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                ConsumerServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .fetch(FetchRequest.newBuilder().setTopic("strict").setPartition(0).setOffset(1_000_000).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
    ErrorDetail detail = OrdoStatus.detailOf(e).orElseThrow();
    assertThat(detail.getCode()).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE);
    assertThat(detail.getEndOffset()).isPositive();
  }

  @Test
  void topicCreationAnswersWithinTheCallersDeadline() {
    // New partitions elect leaders only after an election timeout (2 s): the node must not keep a
    // caller with less time than that waiting for them past its deadline.
    AdminServiceGrpc.AdminServiceBlockingStub admin =
        AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1_500, TimeUnit.MILLISECONDS);
    var created = admin.createTopic(
        CreateTopicRequest.newBuilder().setName("hurried").setPartitions(2).setReplicationFactor(3).build());
    assertThat(created.getName()).isEqualTo("hurried");
    assertThat(created.getPartitionsList()).hasSize(2);
    assertThat(awaitLeaders(client, "hurried").partitions()).allMatch(p -> p.leader() != 0);
  }

  @Test
  void invalidTopicsAreRefusedAndTheNodeKeepsServing() {
    AdminServiceGrpc.AdminServiceBlockingStub admin =
        AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    for (CreateTopicRequest bad :
        new CreateTopicRequest[] {
          CreateTopicRequest.newBuilder().setName("").setPartitions(1).setReplicationFactor(1).build(),
          CreateTopicRequest.newBuilder().setName("a/b").setPartitions(1).setReplicationFactor(1).build(),
          CreateTopicRequest.newBuilder().setName("x".repeat(201)).setPartitions(1).setReplicationFactor(1).build(),
          CreateTopicRequest.newBuilder().setName("ok").setPartitions(0).setReplicationFactor(1).build(),
          CreateTopicRequest.newBuilder().setName("ok").setPartitions(Limits.MAX_PARTITIONS + 1).setReplicationFactor(1).build(),
          CreateTopicRequest.newBuilder().setName("ok").setPartitions(1).setReplicationFactor(0).build(),
          CreateTopicRequest.newBuilder().setName("ok").setPartitions(1).setReplicationFactor(4).build()
        }) {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> admin.createTopic(bad));
      assertThat(e.getStatus().getCode()).as(bad.toString()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    // Still serving, and the partition still reads back whole.
    producer().produce(ProduceRequest.newBuilder().setTopic("strict").setPartition(0).addRecords(record(5)).build());
    assertThat(readAll(client, "strict", 0)).isNotEmpty();
    assertThat(client.admin().listTopics()).extracting(t -> t.name()).containsExactly("strict");
  }
}
