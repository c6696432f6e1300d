package io.ordo.it.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.ordo.client.PartitionInfo;
import io.ordo.client.TopicInfo;
import io.ordo.it.cluster.ClusterChecks;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.it.cluster.DockerCluster;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.PartitionAppend;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.ProduceResponse;
import io.ordo.proto.v1.ProducerServiceGrpc;
import io.ordo.proto.v1.Record;
import io.ordo.protocol.KeyPartitioner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gRPC API is usable without the Java client: examples/python/tour.py, a Python client built
 * from the .proto files alone (Debian's protoc, grpc_python_plugin and python3-grpcio), produces
 * keyed records through every node, reads, joins a group and settles queue records; any node takes
 * keyed records for any partition; and server reflection answers in both versions tools ask for.
 */
class AnyLanguageClientTest {

  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of());

  @Test
  void aPythonClientFromTheProtoFilesAloneProducesReadsAndSettles() throws Exception {
    ProcessCluster cluster = CLUSTER.processes();
    String nodes = IntStream.rangeClosed(1, cluster.size()).mapToObj(cluster::clientAddress).collect(Collectors.joining(","));
    String output = PythonTour.run(nodes, Map.of());
    assertThat(output)
        .contains("tour: produced 120 keyed records through 3 nodes")
        .contains("tour: a queue consumer acked all 120 records")
        .contains("tour: OK")
        .endsWith("exit 0");
  }

  /**
   * A request that names no partition may go to any node, also one that holds no replica of the
   * partitions its keys hash to: with one replica per partition, node 1 forwards most records.
   */
  @Test
  void keyedRecordsGoThroughANodeWithoutReplicasOfTheirPartitions() {
    CLUSTER.client().admin().createTopic("single-copy", 6, 1);
    TopicInfo topic = ClusterChecks.awaitLeaders(CLUSTER.client(), "single-copy");
    assertThat(topic.partitions()).anyMatch(p -> !p.replicas().contains(1));
    ProduceRequest.Builder request = ProduceRequest.newBuilder().setTopic("single-copy");
    for (int k = 0; k < 60; k++) {
      request.addRecords(Record.newBuilder().setKey(ByteString.copyFromUtf8("key-" + k)).setValue(ByteString.copyFromUtf8("v" + k)));
    }
    ManagedChannel channel = ManagedChannelBuilder.forTarget(CLUSTER.processes().clientAddress(1)).usePlaintext().build();
    try {
      ProduceResponse answer = ProducerServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .produce(request.build());
      assertThat(answer.getAppendsList()).hasSizeGreaterThan(1);
      assertThat(answer.getAppendsList().stream().mapToInt(PartitionAppend::getRecordCount).sum()).isEqualTo(60);
      for (PartitionAppend append : answer.getAppendsList()) {
        assertThat(append.getRecordCount()).isEqualTo(
            (int) IntStream.range(0, 60)
                .filter(k -> KeyPartitioner.partition(("key-" + k).getBytes(StandardCharsets.UTF_8), 6) == append.getPartition())
                .count());
      }
      long written = CLUSTER.client().admin().describeTopic("single-copy").partitions().stream().mapToLong(PartitionInfo::endOffset).sum();
      assertThat(written).isEqualTo(60);
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void reflectionListsTheServicesInVersionsV1AndV1Alpha() throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(CLUSTER.processes().clientAddress(1)).usePlaintext().build();
    try {
      assertThat(services(channel, "v1")).contains("ordo.v1.ProducerService", "ordo.v1.QueueService", "grpc.health.v1.Health");
      assertThat(services(channel, "v1alpha")).contains("ordo.v1.ProducerService", "ordo.v1.QueueService");
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * The services reflection {@code version} lists. Both versions' messages are the same on the
   * wire, so v1's serve for v1alpha's method too.
   */
  private static List<String> services(ManagedChannel channel, String version) throws Exception {
    MethodDescriptor<ServerReflectionRequest, ServerReflectionResponse> method =
        ServerReflectionGrpc.getServerReflectionInfoMethod().toBuilder()
            .setFullMethodName("grpc.reflection." + version + ".ServerReflection/ServerReflectionInfo")
            .build();
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ClientCalls.asyncBidiStreamingCall(channel.newCall(method, CallOptions.DEFAULT), completing(answer));
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    return answer.get(30, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
        .map(ServiceResponse::getName)
        .toList();
  }

  /** An observer that completes {@code answer} with the first response, or its error. */
  private static <T> StreamObserver<T> completing(CompletableFuture<T> answer) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    };
  }
}
