package io.ordo.it.api;

import static io.ordo.it.cluster.ClusterChecks.produceAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.OrdoClient;
import io.ordo.client.ProducerRecord;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.it.cluster.ProcessCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each node serves Prometheus metrics: its partitions' offsets and leadership, and its writes' stages. */
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
      writesLed += writes;
    }
    assertThat(writesLed).as("writes answered by the leaders (each produce request is one)").isPositive();
  }
}
