package io.ordo.it.membership;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.localReplicas;
import static io.ordo.it.cluster.ClusterChecks.produceAll;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.NodeInfo;
import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.PartitionInfo;
import io.ordo.client.ProducerRecord;
import io.ordo.it.cli.CliResult;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.ErrorCode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * A node leaves the cluster: its partitions move to the others, its vote in the metadata group
 * passes to a node that joined later, and the cluster then survives the loss of another initial
 * node, which it could not have with the leaving node still voting. Automatic rebalancing is off:
 * here a node's replicas move only because it leaves.
 */
class RemoveNodeTest {
  private static final int PARTITIONS = 3;
  private static final int RECORDS = 300;

  @Test
  void aLeavingNodesPartitionsAndMetadataVoteMoveToAJoinedNode(TestInfo info) throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 3, Map.of("--rebalance-threshold", "0"));
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);
      client.admin().createTopic("orders", PARTITIONS, 3);
      awaitLeaders(client, "orders");
      produceAll(client, IntStream.range(0, RECORDS).mapToObj(i -> ProducerRecord.of("orders", "r-" + i).withPartition(i % PARTITIONS)).toList());

      OrdoException nowhereToGo = catchThrowableOfType(OrdoException.class, () -> client.admin().removeNode(2));
      assertThat(nowhereToGo.errorCode()).isEqualTo(ErrorCode.INVALID_REPLICATION_FACTOR);
      assertThat(nowhereToGo.getMessage()).contains("have a replica on every other live node");

      int joined = cluster.join();
      awaitHealthy(client, 4);
      CliResult removal = CliResult.run(cluster.bootstrap(), "", "cluster", "remove-node", "2", "--wait", "--wait-timeout-secs", "120");
      assertThat(removal.exitCode()).as(removal.toString()).isZero();
      assertThat(removal.out()).contains("node 2 is leaving; 3 partition(s) move off it", "node 2 has left the cluster");

      assertThat(client.admin().describeCluster().nodes()).extracting(NodeInfo::nodeId).containsExactly(1, 3, joined);
      await("every replica in sync").atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
          client.admin().describeTopic("orders").partitions()).allSatisfy(p -> {
            assertThat(p.replicas()).doesNotContain(2).contains(joined);
            assertThat(p.inSyncReplicas()).hasSize(3);
          }));
      await("node 2 deleted its replicas").atMost(Duration.ofSeconds(30)).until(
          () -> localReplicas(cluster.clientAddress(2)).getReplicasCount() == 0);

      // Nodes 1 and 2 gone: the metadata group (1, 3, 4) and every partition keep a majority.
      cluster.stop(2);
      cluster.kill(1);
      try (OrdoClient survivors = OrdoClient.builder().bootstrap(cluster.clientAddress(3) + "," + cluster.clientAddress(joined)).build()) {
        await("a topic created with nodes 1 and 2 gone").atMost(Duration.ofSeconds(60)).ignoreExceptions()
            .until(() -> survivors.admin().createTopic("afterwards", 1, 2) != null);
        awaitLeaders(survivors, "orders");
        for (int p = 0; p < PARTITIONS; p++) {
          List<ConsumerRecord> read = readAll(survivors, "orders", p);
          int partition = p;
          assertThat(read).extracting(ConsumerRecord::valueAsString).containsExactlyElementsOf(
              IntStream.range(0, RECORDS).filter(i -> i % PARTITIONS == partition).mapToObj(i -> "r-" + i).toList());
        }
      }
    }
  }

  @Test
  void removingAnUnknownNodeIsRefused(TestInfo info) {
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 3, Map.of("--rebalance-threshold", "0"));
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);

      CliResult unknown = CliResult.run(cluster.bootstrap(), "", "cluster", "remove-node", "9");

      assertThat(unknown.exitCode()).as(unknown.toString()).isNotZero();
      assertThat(unknown.err()).contains("node 9 is not registered (nodes [1, 2, 3])");
    }
  }
}
