package io.ordo.it.log;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.health;
import static io.ordo.it.cluster.ClusterChecks.localReplicas;
import static io.ordo.it.cluster.ClusterChecks.metric;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.PartitionInfo;
import io.ordo.client.ProducerRecord;
import io.ordo.it.cli.CliResult;
import io.ordo.it.cluster.DockerCluster;
import io.ordo.it.cluster.DockerCluster.Store;
import io.ordo.it.workload.PacedWriter;
import io.ordo.node.OrdoNode;
import io.ordo.proto.v1.ReplicaStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A replica that cannot apply (its node's data store is full: a tmpfs that a file fills), or whose
 * node cannot store its Raft log, stops without hurting its group: the round it failed in is
 * rolled back, the other replicas go on with the partition (a new leader, writes acknowledged,
 * nothing lost or doubled), and the stopped replica says why in `topic describe`, `cluster
 * status`, its node's metrics and health. Once the space is back and its node restarted, it replays
 * its log and ends with what the others hold.
 */
class StorageFaultTest {
  /**
   * Each node's store: below RocksDB's WAL preallocation block (1.1 write buffers, ~70 MB), so a
   * full Raft log store fails the next write at once instead of after a preallocated block fills.
   */
  private static final long STORE_BYTES = 48L << 20;
  private static final int METRICS_PORT = 9300;
  private static final int VALUE_BYTES = 512;
  /** Paced, so the healthy nodes' stores hold the run's records with room to spare. */
  private static final Duration WRITE_INTERVAL = Duration.ofMillis(5);

  @Test
  void aReplicaThatCannotApplyStopsSaysWhyAndCatchesUpAfterARestart() throws Exception {
    // The data store has no WAL: it meets a full disk when it flushes a write buffer, so these are
    // small here, or the failure would wait for 64 MiB of records.
    try (DockerCluster cluster = DockerCluster.start(
            "storage-fault", 3, Map.of("--metrics-addr", "0.0.0.0:" + METRICS_PORT, "--store-write-buffer-mb", "1"), STORE_BYTES);
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      // The leader's store fills: its clients wait on its apply, and must not wait in vain.
      int failing = ordersLeader(client);
      PacedWriter writer = startWriting(client);

      cluster.fillStore(failing, Store.DATA);
      awaitFailedAndWritesGoingOn(client, writer, failing, "apply failed: write to the data store failed", "No space left on device");
      CliResult described = CliResult.run(cluster.bootstrap(), "", "topic", "describe", "orders");
      assertThat(described.out()).contains("orders/0: the replica on node " + failing + " failed (apply failed", "restart the node");
      CliResult status = CliResult.run(cluster.bootstrap(), "", "cluster", "status");
      assertThat(status.out()).contains("under-replicated: 1", "the replica on node " + failing + " failed");
      assertThat(metric(cluster.ip(failing) + ":" + METRICS_PORT, "ordo_partition_replica_failed{partition=\"0\",topic=\"orders\"}"))
          .hasValue(1.0);
      assertReplicasUnhealthy(cluster, failing);

      recoverAndCheck(cluster, client, writer, failing, Store.DATA);
    }
  }

  @Test
  void aNodeThatCannotStoreItsRaftLogStopsItsReplicasAndSaysWhy() throws Exception {
    try (DockerCluster cluster = DockerCluster.start("raft-log-fault", 3, Map.of(), STORE_BYTES);
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      int failing = ordersLeader(client);
      PacedWriter writer = startWriting(client);

      cluster.fillStore(failing, Store.RAFT_LOG);
      awaitFailedAndWritesGoingOn(client, writer, failing, "storing the Raft log failed", "No space left on device");
      // A metadata entry reaches every node's log, the failing one's included.
      // Created once: if the failing node led the metadata, the entry may commit without it, and a retry would
      // find the topic there already.
      try {
        client.admin().createTopic("after", 1, 3);
      } catch (OrdoException e) {
        // the outcome is read below
      }
      await("a topic created").atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> client.admin().describeTopic("after") != null);
      await("node " + failing + "'s copy of the metadata reported failed").atMost(Duration.ofSeconds(60)).until(
          () -> client.admin().describeCluster().nodes().get(failing - 1).metadataFailure(), f -> f.contains("storing the Raft log failed"));
      CliResult status = CliResult.run(cluster.bootstrap(), "", "cluster", "status");
      assertThat(status.out()).contains("node " + failing + ": its copy of the metadata failed (storing the Raft log failed");
      assertReplicasUnhealthy(cluster, failing);

      recoverAndCheck(cluster, client, writer, failing, Store.RAFT_LOG);
      assertThat(client.admin().describeCluster().nodes()).allSatisfy(n -> assertThat(n.metadataFailure()).isEmpty());
    }
  }

  /** The node says its replicas are not all running, and stays SERVING itself (its other replicas do). */
  private static void assertReplicasUnhealthy(DockerCluster cluster, int node) {
    await("node " + node + "'s replicas reported unhealthy").atMost(Duration.ofSeconds(10))
        .until(() -> health(cluster.clientAddress(node), OrdoNode.REPLICAS_HEALTH), ServingStatus.NOT_SERVING::equals);
    assertThat(health(cluster.clientAddress(node))).isEqualTo(ServingStatus.SERVING);
  }

  /** Creates topic "orders" (1 partition, RF 3) and returns its leader. */
  private static int ordersLeader(OrdoClient client) {
    awaitHealthy(client, 3);
    client.admin().createTopic("orders", 1, 3);
    return awaitLeaders(client, "orders").partitions().get(0).leader();
  }

  /** Writes to orders/0 in the background; returns once some records are acknowledged. */
  private static PacedWriter startWriting(OrdoClient client) {
    PacedWriter writer = PacedWriter.start(client, WRITE_INTERVAL, id -> ProducerRecord.of("orders", value(id)).withPartition(0));
    await("records acknowledged before the fault").atMost(Duration.ofSeconds(30)).until(() -> writer.acknowledged().size() >= 200);
    return writer;
  }

  /** Waits until orders/0 reports node {@code failing}'s replica failed, saying {@code why}, and has taken writes since under another leader. */
  private static void awaitFailedAndWritesGoingOn(OrdoClient client, PacedWriter writer, int failing, String... why) {
    PartitionInfo failed = await("node " + failing + "'s replica reported failed")
        .atMost(Duration.ofSeconds(60))
        .until(() -> client.admin().describeTopic("orders").partitions().get(0), p -> p.failedReplicas().containsKey(failing));
    assertThat(failed.failedReplicas().get(failing)).contains(why);
    PartitionInfo goingOn = await("a new leader").atMost(Duration.ofSeconds(60))
        .until(() -> client.admin().describeTopic("orders").partitions().get(0), p -> p.leader() != 0 && p.leader() != failing);
    assertThat(goingOn.underReplicated()).isTrue();
    int before = writer.acknowledged().size();
    await("writes go on without the failed replica").atMost(Duration.ofSeconds(60)).until(() -> writer.acknowledged().size() >= before + 200);
  }

  /**
   * Stops the writer, frees node {@code failing}'s store and restarts it, then checks that its
   * replica is back in its group, healthy, at the others' end offset, and that orders/0 holds every
   * acknowledged record once and nothing never sent.
   */
  private static void recoverAndCheck(DockerCluster cluster, OrdoClient client, PacedWriter writer, int failing, Store store)
      throws InterruptedException {
    assertThat(writer.stop(Duration.ofMinutes(2))).as("the writer flushed its last records").isTrue();
    cluster.freeStore(failing, store);
    cluster.kill(failing);
    cluster.start(failing);
    await("node " + failing + "'s replica back in its group").atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      PartitionInfo p = client.admin().describeTopic("orders").partitions().get(0);
      assertThat(p.failedReplicas()).isEmpty();
      assertThat(p.inSyncReplicas()).hasSize(3);
    });
    await("node " + failing + "'s replicas healthy").atMost(Duration.ofSeconds(10))
        .until(() -> health(cluster.clientAddress(failing), OrdoNode.REPLICAS_HEALTH), ServingStatus.SERVING::equals);

    List<String> read = readAll(client, "orders", 0).stream().map(StorageFaultTest::id).toList();
    assertThat(read).doesNotHaveDuplicates().containsAll(writer.acknowledged()).allMatch(writer::sent);
    // The replica that failed applied the same log to the same end as the others.
    long topicId = client.admin().describeTopic("orders").topicId();
    long end = client.admin().describeTopic("orders").partitions().get(0).endOffset();
    assertThat(end).isEqualTo(read.size());
    await("every replica at the end offset").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (int node = 1; node <= 3; node++) {
        assertThat(localReplicas(cluster.clientAddress(node)).getReplicasList())
            .as("node %d", node)
            .filteredOn(r -> r.getTopicId() == topicId)
            .singleElement()
            .extracting(ReplicaStatus::getEndOffset, ReplicaStatus::getFailure)
            .containsExactly(end, "");
      }
    });
  }

  /** A value that starts with the record's id, padded with bytes that do not compress. */
  private static byte[] value(String id) {
    byte[] value = new byte[VALUE_BYTES];
    new Random(id.hashCode()).nextBytes(value);
    byte[] prefix = (id + "|").getBytes(StandardCharsets.UTF_8);
    System.arraycopy(prefix, 0, value, 0, prefix.length);
    return value;
  }

  private static String id(ConsumerRecord record) {
    String text = new String(Arrays.copyOf(record.value(), 16), StandardCharsets.ISO_8859_1);
    return text.substring(0, text.indexOf('|'));
  }
}
