package io.ordo.it.membership;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.produceAll;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static io.ordo.it.cluster.ClusterChecks.replicaOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.PartitionInfo;
import io.ordo.client.ProducerRecord;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.JoinClusterRequest;
import io.ordo.proto.v1.NodeServiceGrpc;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * A node started with --join becomes a member of a running cluster: registered, given the
 * metadata, its share of the existing partitions' replicas (automatic rebalancing) and of new
 * topics', and after a restart still a member without asking again.
 */
class JoinTest {
  private static final int PARTITIONS = 4;
  private static final int RECORDS = 500 * PARTITIONS;

  @Test
  void aJoinedNodeTakesItsShareOfReplicasOnItsOwnAndKeepsThemAcrossARestart(TestInfo info) throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 3, Map.of());
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);
      client.admin().createTopic("orders", PARTITIONS, 3);
      awaitLeaders(client, "orders");
      produceAll(client, IntStream.range(0, RECORDS).mapToObj(i -> ProducerRecord.of("orders", "r-" + i).withPartition(i % PARTITIONS)).toList());

      // 12 replicas on nodes 1-3 (4 each), none on the new node: above the default threshold of 2,
      // so replicas move to it one at a time until it holds 2 (loads 3, 3, 4, 2).
      int joined = cluster.join();
      awaitHealthy(client, 4);
      await("node " + joined + " given its share of replicas").atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
        List<PartitionInfo> partitions = client.admin().describeTopic("orders").partitions();
        assertThat(partitions).allSatisfy(p -> {
          assertThat(p.reassigning()).isFalse();
          assertThat(p.inSyncReplicas()).hasSize(3);
        });
        assertThat(partitions).filteredOn(p -> p.replicas().contains(joined)).hasSize(2);
      });
      List<Integer> moved = client.admin().describeTopic("orders").partitions().stream()
          .filter(p -> p.replicas().contains(joined)).map(PartitionInfo::partition).toList();

      cluster.stop(joined);
      cluster.start(joined);
      awaitHealthy(client, 4);
      await("node " + joined + " in sync again").atMost(Duration.ofSeconds(60)).until(
          () -> client.admin().describeTopic("orders").partitions().stream()
              .filter(p -> moved.contains(p.partition())).allMatch(p -> p.inSyncReplicas().contains(joined)));
      for (int partition : moved) {
        assertThat(replicaOf(client, cluster, joined, "orders", partition))
            .hasValueSatisfying(r -> assertThat(r.getEndOffset()).isEqualTo(RECORDS / PARTITIONS));
        assertThat(readAll(client, "orders", partition)).extracting(ConsumerRecord::valueAsString).containsExactlyElementsOf(
            IntStream.range(0, RECORDS).filter(i -> i % PARTITIONS == partition).mapToObj(i -> "r-" + i).toList());
      }
      assertThat(client.admin().describeTopic("orders").partitions()).as("nothing moves within the threshold")
          .filteredOn(p -> p.replicas().contains(joined)).extracting(PartitionInfo::partition).containsExactlyElementsOf(moved);

      // New topics are placed on every live node, the joined one included.
      client.admin().createTopic("wide", 4, 3);
      assertThat(awaitLeaders(client, "wide").partitions()).anyMatch(p -> p.replicas().contains(joined));
    }
  }

  @Test
  void aNodeThatClaimsAnotherNodesIdOrAddressIsRefused(TestInfo info) {
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 3, Map.of());
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);
      String raftOfNode2 = client.admin().describeCluster().nodes().get(1).raftAddress();

      StatusRuntimeException takenId = catchThrowableOfType(StatusRuntimeException.class,
          () -> join(cluster, JoinClusterRequest.newBuilder().setNodeId(2).setClientAddress("127.0.0.1:1").setRaftAddress("127.0.0.1:2")));
      StatusRuntimeException takenAddress = catchThrowableOfType(StatusRuntimeException.class,
          () -> join(cluster, JoinClusterRequest.newBuilder().setNodeId(9).setClientAddress("127.0.0.1:1").setRaftAddress(raftOfNode2)));

      assertThat(takenId).hasMessageContaining("node id 2 belongs to the node at Raft address " + raftOfNode2);
      assertThat(takenAddress).hasMessageContaining("belongs to node 2");
      assertThat(client.admin().describeCluster().nodes()).hasSize(3);
    }
  }

  private static void join(ProcessCluster cluster, JoinClusterRequest.Builder request) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.clientAddress(3)).usePlaintext().build();
    try {
      NodeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).joinCluster(request.build());
    } finally {
      channel.shutdownNow();
    }
  }
}
