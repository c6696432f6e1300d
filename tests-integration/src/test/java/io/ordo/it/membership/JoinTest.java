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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * A node started with --join becomes a member of a running cluster: registered, given the
 * metadata, a home for partitions moved to it and for new topics' replicas, and after a restart
 * still a member without asking again.
 */
class JoinTest {
  private static final int RECORDS = 500;

  @Test
  void aJoinedNodeTakesAPartitionMovedToItAndKeepsItAcrossARestart(TestInfo info) throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 3, Map.of());
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);
      client.admin().createTopic("orders", 2, 3);
      awaitLeaders(client, "orders");
      produceAll(client, IntStream.range(0, RECORDS).mapToObj(i -> ProducerRecord.of("orders", "r-" + i).withPartition(0)).toList());

      int joined = cluster.join();
      awaitHealthy(client, 4);

      PartitionInfo before = client.admin().describeTopic("orders").partitions().get(0);
      List<Integer> target = new ArrayList<>(before.replicas().subList(1, 3));
      target.add(joined);
      client.admin().reassignPartitions("orders", Map.of(0, target));
      await("partition 0 moved to node " + joined).atMost(Duration.ofSeconds(60)).until(() -> {
        PartitionInfo p = client.admin().describeTopic("orders").partitions().get(0);
        return !p.reassigning() && p.replicas().equals(target) && p.inSyncReplicas().size() == 3;
      });
      assertThat(replicaOf(client, cluster, joined, "orders")).hasValueSatisfying(r -> assertThat(r.getEndOffset()).isEqualTo(RECORDS));

      cluster.stop(joined);
      cluster.start(joined);
      awaitHealthy(client, 4);
      await("node " + joined + " in sync again").atMost(Duration.ofSeconds(60)).until(
          () -> client.admin().describeTopic("orders").partitions().get(0).inSyncReplicas().contains(joined));
      List<ConsumerRecord> read = readAll(client, "orders", 0);
      assertThat(read).extracting(ConsumerRecord::valueAsString)
          .containsExactlyElementsOf(IntStream.range(0, RECORDS).mapToObj(i -> "r-" + i).toList());

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
