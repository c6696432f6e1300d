package io.ordo.it.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.OrdoClient;
import io.ordo.client.PartitionHealth;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.it.cluster.ProcessCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With a node stopped, its partitions are reported under-replicated where an operator looks: the
 * client's partition health, {@code ordo cluster status}, {@code ordo topic describe} and the
 * leaders' metrics; once it is back, they are healthy again.
 */
class UnhealthyPartitionsTest {
  private static final String TOPIC = "watched";
  private static final int PARTITIONS = 3;
  private static final int STOPPED = 3;

  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of());

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aStoppedNodesPartitionsAreUnderReplicatedUntilItIsBack() throws Exception {
    ProcessCluster cluster = CLUSTER.processes();
    OrdoClient client = CLUSTER.client();
    CLUSTER.createTopic(TOPIC, PARTITIONS);
    awaitHealth(client, 0);
    CliResult healthy = CliResult.run(cluster.bootstrap(), "", "cluster", "status");
    assertThat(healthy.out()).as(healthy.toString())
        .contains("partitions: " + PARTITIONS + ", leaderless: 0, under-replicated: 0");

    cluster.stop(STOPPED);
    // Every partition has a replica on every node (RF 3 of 3): all become under-replicated, led
    // by the others once the stopped node's leaderships have moved.
    PartitionHealth unhealthy = awaitHealth(client, PARTITIONS);
    assertThat(unhealthy.unhealthy()).allSatisfy(u -> {
      assertThat(u.topic()).isEqualTo(TOPIC);
      assertThat(u.partition().underReplicated()).as("%s", u).isTrue();
      assertThat(u.partition().inSyncReplicas()).doesNotContain(STOPPED);
    });

    CliResult status = CliResult.run(cluster.bootstrap(), "", "cluster", "status");
    assertThat(status.exitCode()).as(status.toString()).isZero();
    assertThat(status.out()).as(status.toString())
        .contains("partitions: " + PARTITIONS + ", leaderless: 0, under-replicated: " + PARTITIONS);
    assertThat(status.out().lines().filter(l -> l.startsWith(TOPIC) && l.contains("under-replicated")))
        .as(status.toString()).hasSize(PARTITIONS);
    CliResult described = CliResult.run(cluster.bootstrap(), "", "topic", "describe", TOPIC, "--output", "json");
    assertThat(described.out()).as(described.toString()).contains("\"status\":\"under-replicated\"")
        .doesNotContain("\"status\":\"ok\"");

    int underReplicatedOnLeaders = 0;
    for (int node = 1; node <= cluster.size(); node++) {
      if (node != STOPPED) {
        underReplicatedOnLeaders += underReplicatedSamples(cluster, node);
      }
    }
    assertThat(underReplicatedOnLeaders).as("partitions the live leaders report under-replicated").isEqualTo(PARTITIONS);

    cluster.start(STOPPED);
    awaitHealth(client, 0);
  }

  /** Waits until {@code unhealthy} partitions are reported, every one with a leader. */
  private static PartitionHealth awaitHealth(OrdoClient client, int unhealthy) {
    return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
        .until(client.admin()::partitionHealth,
            h -> h.partitions() == PARTITIONS && h.leaderless() == 0 && h.underReplicated() == unhealthy);
  }

  /** How many of this topic's partitions node {@code node}'s metrics report under-replicated. */
  private int underReplicatedSamples(ProcessCluster cluster, int node) throws Exception {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create("http://" + cluster.metricsAddress(node) + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    Pattern flagged = Pattern.compile(
        "^ordo_partition_under_replicated\\{partition=\"\\d+\",topic=\"" + TOPIC + "\"} 1\\.0$", Pattern.MULTILINE);
    return (int) flagged.matcher(response.body()).results().count();
  }
}
