package io.ordo.it.api;

import static io.ordo.it.cluster.ClusterChecks.produceAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.client.OrdoClient;
import io.ordo.client.ProducerRecord;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.ClaimPartitionRequest;
import io.ordo.proto.v1.CommitOffsetRequest;
import io.ordo.proto.v1.GroupServiceGrpc;
import io.ordo.proto.v1.HeartbeatRequest;
import io.ordo.proto.v1.HeartbeatResponse;
import io.ordo.proto.v1.LeasedRecord;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.QueueServiceGrpc;
import io.ordo.proto.v1.ReceiveRequest;
import io.ordo.proto.v1.RecordSettlement;
import io.ordo.proto.v1.SettleAction;
import io.ordo.proto.v1.SettleRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each node serves Prometheus metrics: its partitions' offsets and leadership, its writes' stages,
 * and the lag and depths of the groups reading the partitions it leads.
 */
class MetricsTest {
  private static final String TOPIC = "metered";
  private static final int RECORDS_PER_PARTITION = 50;
  private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+)(\\{[^}]*\\})? ([0-9.eE+-]+)$", Pattern.MULTILINE);
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of("--leader-balance-interval-secs", "0"));

  private static ProcessCluster cluster;
  private static OrdoClient client;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    cluster = CLUSTER.processes();
    client = CLUSTER.client();
    CLUSTER.createTopic(TOPIC, 2);
    produceAll(client, IntStream.range(0, 2 * RECORDS_PER_PARTITION)
        .mapToObj(i -> ProducerRecord.of(TOPIC, "r" + i).withPartition(i % 2)).toList());
  }

  /** Node {@code node}'s samples: "name{labels}" to value. */
  private Map<String, Double> scrape(int node) throws Exception {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create("http://" + cluster.metricsAddress(node) + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    Map<String, Double> samples = new HashMap<>();
    Matcher m = SAMPLE.matcher(response.body());
    while (m.find()) {
      samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
    }
    return samples;
  }

  private static String partition(String metric, int partition) {
    return metric + "{partition=\"" + partition + "\",topic=\"" + TOPIC + "\"}";
  }

  /** A stream group's lag and a queue group's depths, each reported once, by the partition's leader. */
  @Test
  void leadersReportGroupLagAndQueueDepths() throws Exception {
    ManagedChannel p0 = leaderChannel(0);
    ManagedChannel p1 = leaderChannel(1);
    try {
      GroupServiceGrpc.GroupServiceBlockingStub groups = GroupServiceGrpc.newBlockingStub(p0).withDeadlineAfter(30, TimeUnit.SECONDS);
      HeartbeatResponse member = groups.heartbeat(HeartbeatRequest.newBuilder().setGroup("lagging").addTopics(TOPIC).build());
      groups.claimPartition(ClaimPartitionRequest.newBuilder().setGroup("lagging").setTopic(TOPIC).setPartition(0)
          .setMemberId(member.getMemberId()).setGeneration(member.getGeneration()).build());
      groups.commitOffset(CommitOffsetRequest.newBuilder().setGroup("lagging").setTopic(TOPIC).setPartition(0)
          .setMemberId(member.getMemberId()).setGeneration(member.getGeneration()).setOffset(10).build());

      // Leases long enough that none ends before the test looks.
      client.admin().createQueueGroup("q", TOPIC, QueuePolicy.newBuilder().setLeaseMs(600_000).build());
      QueueServiceGrpc.QueueServiceBlockingStub queue = QueueServiceGrpc.newBlockingStub(p1).withDeadlineAfter(30, TimeUnit.SECONDS);
      List<LeasedRecord> leased = queue.receive(ReceiveRequest.newBuilder().setGroup("q").setTopic(TOPIC).setPartition(1)
          .setConsumer("c").setMaxRecords(5).build()).getRecordsList();
      assertThat(leased).hasSize(5);
      queue.settle(SettleRequest.newBuilder().setGroup("q").setTopic(TOPIC).setPartition(1).setConsumer("c")
          .addSettlements(RecordSettlement.newBuilder().setOffset(leased.get(0).getRecord().getOffset())
              .setDeliveries(leased.get(0).getDeliveries()).setAction(SettleAction.SETTLE_NACK).setDelayMs(600_000))
          .build());
    } finally {
      p0.shutdownNow();
      p1.shutdownNow();
    }

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(sumOverNodes(group("ordo_group_lag", "lagging", 0))).isEqualTo(RECORDS_PER_PARTITION - 10);
      assertThat(sumOverNodes(group("ordo_queue_in_flight", "q", 1))).isEqualTo(4);
      assertThat(sumOverNodes(group("ordo_queue_waiting", "q", 1))).isEqualTo(1);
      assertThat(sumOverNodes(group("ordo_queue_undelivered", "q", 1))).isEqualTo(RECORDS_PER_PARTITION - 5);
      assertThat(sumOverNodes(group("ordo_queue_dead", "q", 1))).isZero();
    });
  }

  private double sumOverNodes(String sample) throws Exception {
    double sum = 0;
    for (int node = 1; node <= 3; node++) {
      sum += scrape(node).getOrDefault(sample, 0.0);
    }
    return sum;
  }

  private static String group(String metric, String group, int partition) {
    return metric + "{group=\"" + group + "\",partition=\"" + partition + "\",topic=\"" + TOPIC + "\"}";
  }

  private static ManagedChannel leaderChannel(int partition) {
    int leader = client.admin().describeTopic(TOPIC).partitions().get(partition).leader();
    return ManagedChannelBuilder.forTarget(cluster.clientAddress(leader)).usePlaintext().build();
  }

  @Test
  void everyReplicaReportsItsOffsetsAndOneLeaderPerPartitionReportsItsWritesStages() throws Exception {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (int node = 1; node <= 3; node++) {
        Map<String, Double> samples = scrape(node);
        for (int p = 0; p < 2; p++) {
          assertThat(samples.get(partition("ordo_partition_end_offset", p))).as("node %d, partition %d", node, p)
              .isEqualTo(RECORDS_PER_PARTITION);
          assertThat(samples.get(partition("ordo_partition_start_offset", p))).isZero();
        }
      }
    });
    double writesLed = 0;
    for (int p = 0; p < 2; p++) {
      int leaders = 0;
      for (int node = 1; node <= 3; node++) {
        leaders += scrape(node).get(partition("ordo_partition_leader", p)).intValue();
      }
      assertThat(leaders).as("nodes leading partition %d", p).isEqualTo(1);
    }
    for (int node = 1; node <= 3; node++) {
      Map<String, Double> samples = scrape(node);
      double writes = samples.getOrDefault("ordo_write_seconds_count", 0.0);
      assertThat(samples.get("ordo_write_stage_seconds_count{stage=\"replicated\"}")).isEqualTo(writes);
      assertThat(samples.get("ordo_raft_log_sync_seconds_count")).as("node %d's synced Raft log appends (each holds a replica)", node)
          .isPositive();
      writesLed += writes;
    }
    assertThat(writesLed).as("writes answered by the leaders (each produce request is one)").isPositive();

    double produceManyCalls = 0;
    double produceRequests = 0;
    for (int node = 1; node <= 3; node++) {
      Map<String, Double> samples = scrape(node);
      produceManyCalls += calls(samples, "ProduceMany");
      produceRequests += calls(samples, "Produce")
          + samples.getOrDefault("ordo_produce_requests_total{outcome=\"appended\"}", 0.0);
      for (String store : new String[] {"data", "raft-log"}) {
        assertThat(samples).as("node %d's %s store", node, store)
            .containsKey("ordo_store_sst_bytes{store=\"" + store + "\"}")
            .containsKey("ordo_store_blob_bytes{store=\"" + store + "\"}")
            .containsKey("ordo_store_memtable_bytes{store=\"" + store + "\"}")
            .containsEntry("ordo_store_background_errors{store=\"" + store + "\"}", 0.0);
      }
    }
    assertThat(produceManyCalls).as("the producer's ProduceMany calls, counted by the nodes that answered them").isPositive();
    assertThat(produceRequests).as("produce requests counted by the nodes that answered them").isGreaterThanOrEqualTo(writesLed);
  }

  /** The calls of {@code method} the node answered, whatever their status. */
  private static double calls(Map<String, Double> samples, String method) {
    return samples.entrySet().stream()
        .filter(e -> e.getKey().startsWith("grpc_server_processing_duration_seconds_count{")
            && e.getKey().contains("method=\"" + method + "\""))
        .mapToDouble(Map.Entry::getValue).sum();
  }
}
