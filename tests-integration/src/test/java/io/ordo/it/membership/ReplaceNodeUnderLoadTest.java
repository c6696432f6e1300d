package io.ordo.it.membership;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.NodeInfo;
import io.ordo.client.OrdoClient;
import io.ordo.client.PartitionInfo;
import io.ordo.client.ProducerRecord;
import io.ordo.it.cli.CliResult;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.it.workload.PacedWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The operator's first month in one run, under a steady write load: a fourth node joins and takes
 * its share of the replicas on its own, then initial node 1 is removed (its replicas and its
 * metadata vote move to the others) and stopped. Nothing acknowledged is lost or doubled, and the
 * cluster that remains holds every partition on three live nodes.
 */
class ReplaceNodeUnderLoadTest {
  private static final int PARTITIONS = 4;
  private static final Duration WRITE_INTERVAL = Duration.ofMillis(2);

  @Test
  void aNodeJoinsAndAnInitialNodeLeavesWhileWritesGoOn(TestInfo info) throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 3, Map.of());
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);
      client.admin().createTopic("orders", PARTITIONS, 3);
      awaitLeaders(client, "orders");

      PacedWriter writer = PacedWriter.start(client, WRITE_INTERVAL, id -> ProducerRecord.of("orders", id, id));

      int joined = cluster.join();
      awaitHealthy(client, 4);
      await("node " + joined + " given its share of replicas").atMost(Duration.ofSeconds(180)).untilAsserted(() -> {
        List<PartitionInfo> partitions = client.admin().describeTopic("orders").partitions();
        assertThat(partitions).allSatisfy(p -> assertThat(p.reassigning()).isFalse());
        assertThat(partitions).filteredOn(p -> p.replicas().contains(joined)).hasSize(2);
      });
      int beforeRemoval = writer.acknowledged().size();

      CliResult removal = CliResult.run(cluster.bootstrap(), "", "cluster", "remove-node", "1", "--wait", "--wait-timeout-secs", "180");
      assertThat(removal.exitCode()).as(removal.toString()).isZero();
      assertThat(removal.out()).contains("node 1 has left the cluster");
      cluster.stop(1);

      String remaining = cluster.clientAddress(2) + "," + cluster.clientAddress(3) + "," + cluster.clientAddress(joined);
      try (OrdoClient survivors = OrdoClient.builder().bootstrap(remaining).build()) {
        await("every partition on three live nodes, none on node 1").atMost(Duration.ofSeconds(60)).untilAsserted(() ->
            assertThat(survivors.admin().describeTopic("orders").partitions()).allSatisfy(p -> {
              assertThat(p.replicas()).hasSize(3).doesNotContain(1);
              assertThat(p.inSyncReplicas()).hasSize(3);
            }));
        assertThat(survivors.admin().describeCluster().nodes()).extracting(NodeInfo::nodeId).containsExactly(2, 3, joined);
        await("writes went on after node 1 left").atMost(Duration.ofSeconds(60)).until(() -> writer.acknowledged().size() > beforeRemoval + 100);
        assertThat(writer.stop(Duration.ofMinutes(3))).as("the writer flushed its last records").isTrue();

        List<String> read = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
          readAll(survivors, "orders", p).stream().map(ConsumerRecord::valueAsString).forEach(read::add);
        }
        assertThat(read).doesNotHaveDuplicates().containsAll(writer.acknowledged()).allMatch(writer::sent);
      }
    }
  }
}
