package io.ordo.it.api;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.metric;
import static io.ordo.it.cluster.ClusterChecks.health;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.stub.StreamObserver;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.FetchRequest;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.SpecialOffset;
import io.ordo.protocol.OrdoStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * A load far past a cluster's node-wide bounds (calls served at once, bytes waiting for commit,
 * parked long-polls; set small here) is refused in part with OVERLOADED, which the Java client
 * retries with back-off; no node falls over: each stays healthy and alive, within its bounds, and
 * every acknowledged record is there once.
 */
class OverloadTest {
  private static final int MAX_CALLS = 40;
  private static final int PRODUCERS = 6;
  private static final int RECORDS_PER_PRODUCER = 200;
  private static final int RECORD_BYTES = 16 * 1024;
  private static final int LONG_POLLS = 150;

  @Test
  void aLoadPastTheBoundsIsRefusedInPartAndNoNodeFallsOver(TestInfo info) throws Exception {
    Map<String, String> bounds = Map.of(
        "--max-concurrent-calls", String.valueOf(MAX_CALLS),
        "--grpc-threads", "4",
        "--max-batch-bytes", String.valueOf(1 << 20),
        "--max-pending-bytes", String.valueOf(2 << 20),
        "--max-pending-bytes-per-partition", String.valueOf(1 << 20),
        "--max-parked-reads", "20");
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 3, bounds);
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);
      client.admin().createTopic("load", 3, 3);
      client.admin().createTopic("idle", 1, 3);
      awaitLeaders(client, "load");
      int idleLeader = awaitLeaders(client, "idle").partitions().get(0).leader();

      // Long-polls on the idle partition's leader, far more than it parks or serves at once.
      ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.clientAddress(idleLeader)).usePlaintext().build();
      List<CompletableFuture<Throwable>> polls = new ArrayList<>();
      for (int i = 0; i < LONG_POLLS; i++) {
        polls.add(longPoll(channel));
      }
      // Meanwhile producers flood the other topic, through every node.
      List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
      List<Producer> producers = IntStream.range(0, PRODUCERS).mapToObj(p -> client.producer()).toList();
      Set<Double> callsSeen = new HashSet<>();
      for (int i = 0; i < RECORDS_PER_PRODUCER; i++) {
        for (int p = 0; p < PRODUCERS; p++) {
          sends.add(producers.get(p).send(ProducerRecord.of("load", ("p" + p + "-" + i).getBytes(StandardCharsets.UTF_8), value(p, i))));
        }
        if (i % 50 == 0) {
          callsSeen.add(metric(cluster.metricsAddress(idleLeader), "ordo_grpc_calls").orElseThrow());
        }
      }
      producers.forEach(Producer::close);
      List<Throwable> pollErrors = polls.stream().map(f -> f.orTimeout(60, TimeUnit.SECONDS).join()).toList();
      channel.shutdownNow();

      // Refused in part, as OVERLOADED naming the bound; the rest answered (at once past the parked reads' bound).
      assertThat(pollErrors).filteredOn(e -> e != null).isNotEmpty().allSatisfy(e -> {
        assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(OrdoStatus.detailOf(e).orElseThrow().getCode()).isEqualTo(ErrorCode.OVERLOADED);
        assertThat(e).hasMessageContaining("--max-concurrent-calls");
      });
      assertThat(callsSeen).as("calls served at once, sampled under load").allSatisfy(c -> assertThat(c).isLessThanOrEqualTo(MAX_CALLS));

      // Every record acknowledged (the client retried what was refused), every node healthy.
      sends.forEach(CompletableFuture::join);
      for (int node = 1; node <= 3; node++) {
        assertThat(cluster.isRunning(node)).isTrue();
        assertThat(health(cluster.clientAddress(node))).isEqualTo(ServingStatus.SERVING);
      }
      assertThat(client.admin().describeCluster().nodes()).allSatisfy(n -> assertThat(n.alive()).isTrue());
      List<String> read = new ArrayList<>();
      for (int partition = 0; partition < 3; partition++) {
        readAll(client, "load", partition).stream().map(ConsumerRecord::key).map(k -> new String(k, StandardCharsets.UTF_8)).forEach(read::add);
      }
      assertThat(read).hasSize(PRODUCERS * RECORDS_PER_PRODUCER).doesNotHaveDuplicates();
    }
  }

  /** A fetch at the end of the idle partition that may wait 10 s; completes with its error, or null. */
  private static CompletableFuture<Throwable> longPoll(ManagedChannel channel) {
    CompletableFuture<Throwable> done = new CompletableFuture<>();
    ConsumerServiceGrpc.newStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).fetch(
        FetchRequest.newBuilder().setTopic("idle").setPartition(0).setOffset(SpecialOffset.LATEST_VALUE).setMaxWaitMs(10_000).build(),
        new StreamObserver<>() {
          @Override
          public void onNext(FetchResponse value) {}

          @Override
          public void onError(Throwable t) {
            done.complete(t);
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        });
    return done;
  }

  private static byte[] value(int producer, int i) {
    byte[] value = new byte[RECORD_BYTES];
    Arrays.fill(value, (byte) (producer * 31 + i));
    return value;
  }
}
