package io.ordo.it.cluster;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.Producer;
import io.ordo.client.ProducerConfig;
import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.ClusterDescription;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.NodeDescription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Docker harness itself: a 3-node cluster in containers comes up, each fault takes effect
 * (seen from the nodes and from this JVM), is undone, and no acknowledged record is lost.
 */
class DockerClusterTest {
  private static final Logger log = LoggerFactory.getLogger(DockerClusterTest.class);
  private static final String TOPIC = "smoke";
  private static final int PARTITIONS = 3;
  private static final int RECORDS_PER_PHASE = 300;
  /** Short, so a call to a frozen or cut-off node gives up soon and the client looks elsewhere. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
  /** Records not acknowledged by then are indeterminate; the phase goes on. */
  private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(20);

  @Test
  void faultsTakeEffectAndHealWithoutLosingAcknowledgedRecords() throws Exception {
    try (DockerCluster cluster = DockerCluster.start("dockerClusterSmoke", 3, Map.of());
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(REQUEST_TIMEOUT).build()) {
      awaitHealthy(client, 3);
      assertThat(client.admin().describeCluster().nodes())
          .as("nodes advertise their container addresses, and this JVM reaches them")
          .allMatch(n -> n.clientAddress().equals(cluster.clientAddress(n.nodeId())));
      client.admin().createTopic(TOPIC, PARTITIONS, 3);
      awaitLeaders(client, TOPIC);
      Map<String, RecordMetadata> acked = new HashMap<>(produce(client, "healthy"));

      cluster.partition(Set.of(1), Set.of(2, 3));
      await("node 2 sees node 1 down")
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> aliveSeenBy(cluster, 2), alive -> !alive.get(1) && alive.get(3));
      assertThat(aliveSeenBy(cluster, 1)).as("node 1 sees neither 2 nor 3").containsEntry(2, false).containsEntry(3, false);
      acked.putAll(produce(client, "partitioned"));
      cluster.heal();
      awaitHealthy(client, 3);

      cluster.kill(2);
      assertThat(cluster.isRunning(2)).isFalse();
      cluster.kill(2); // a no-op on a dead node
      acked.putAll(produce(client, "crashed"));
      cluster.start(2);
      assertThat(cluster.isRunning(2)).isTrue();
      awaitHealthy(client, 3);

      cluster.pause(3);
      assertThatThrownBy(() -> describeClusterVia(cluster, 3, Duration.ofSeconds(1)))
          .as("a paused node does not answer")
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
      assertThat(cluster.isRunning(3)).as("a paused node still runs").isTrue();
      acked.putAll(produce(client, "paused"));
      cluster.resume(3);
      awaitHealthy(client, 3);

      cluster.lossy(1, 0.2);
      acked.putAll(produce(client, "lossy"));
      cluster.slow(2, 128, Duration.ofMillis(500));
      acked.putAll(produce(client, "slow"));
      cluster.pause(2);
      cluster.heal(); // resumes node 2 and removes the loss
      awaitHealthy(client, 3);

      assertThat(acked).as("records acknowledged under faults").hasSizeGreaterThan(3 * RECORDS_PER_PHASE);
      assertEveryAcknowledgedRecordReadable(client, acked);
    }
  }

  /** Sends a phase's records; returns those acknowledged (the others are indeterminate). */
  private static Map<String, RecordMetadata> produce(OrdoClient client, String phase)
      throws InterruptedException {
    Map<String, CompletableFuture<RecordMetadata>> sends = new HashMap<>();
    try (Producer producer = client.producer(ProducerConfig.builder().deliveryTimeout(DELIVERY_TIMEOUT).build())) {
      for (int i = 0; i < RECORDS_PER_PHASE; i++) {
        String value = phase + "-" + i;
        sends.put(value, producer.send(ProducerRecord.of(TOPIC, "key-" + (i % 30), value)));
      }
      producer.flush();
    }
    Map<String, RecordMetadata> acked = new HashMap<>();
    Map<String, Integer> failures = new TreeMap<>();
    for (Map.Entry<String, CompletableFuture<RecordMetadata>> e : sends.entrySet()) {
      try {
        acked.put(e.getKey(), e.getValue().get(1, TimeUnit.MINUTES));
      } catch (ExecutionException | TimeoutException notAcked) {
        // indeterminate: may or may not be in the log
        Throwable cause = notAcked instanceof ExecutionException ? notAcked.getCause() : notAcked;
        failures.merge(cause.getClass().getSimpleName() + ": " + cause.getMessage(), 1, Integer::sum);
      }
    }
    log.info("{}: {} of {} acknowledged; not acknowledged: {}", phase, acked.size(), RECORDS_PER_PHASE, failures);
    return acked;
  }

  private static void assertEveryAcknowledgedRecordReadable(OrdoClient client, Map<String, RecordMetadata> acked) {
    Map<String, String> readAt = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      for (ConsumerRecord r : readAll(client, TOPIC, p)) {
        assertThat(readAt.put(r.valueAsString(), p + "/" + r.offset())).as("%s read once", r.valueAsString()).isNull();
      }
    }
    List<String> missing = new ArrayList<>();
    acked.forEach((value, meta) -> {
      String expected = meta.partition() + "/" + meta.offset();
      if (!expected.equals(readAt.get(value))) {
        missing.add(value + " acked at " + expected + ", read at " + readAt.get(value));
      }
    });
    assertThat(missing).as("acknowledged records not read back where acknowledged").isEmpty();
  }

  /** Which nodes {@code node} can reach right now, asked of that node alone. */
  private static Map<Integer, Boolean> aliveSeenBy(DockerCluster cluster, int node) {
    return describeClusterVia(cluster, node, Duration.ofSeconds(10)).getNodesList().stream()
        .collect(Collectors.toMap(NodeDescription::getNodeId, NodeDescription::getAlive));
  }

  private static ClusterDescription describeClusterVia(DockerCluster cluster, int node, Duration deadline) {
    return call(cluster.clientAddress(node), channel -> AdminServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .describeCluster(DescribeClusterRequest.getDefaultInstance()));
  }

  private static <T> T call(String address, Function<ManagedChannel, T> rpc) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    try {
      return rpc.apply(channel);
    } finally {
      channel.shutdownNow();
    }
  }
}
