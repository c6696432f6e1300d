package io.ordo.it.log;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.health;
import static io.ordo.it.cluster.ClusterChecks.httpHealth;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.ordo.client.OrdoClient;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.ProducerServiceGrpc;
import io.ordo.proto.v1.Record;
import io.ordo.protocol.OrdoStatus;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Regression (found by the fault suite, kill-leader): a node that had just restarted answered
 * UNKNOWN_TOPIC for a topic its metadata log had not been replayed up to yet, and clients failed
 * writes that an earlier attempt may already have committed. And such a node called itself healthy
 * (gRPC health, /health) while it refused every client.
 */
class RestartedNodeTest {
  @Test
  void aNodeThatCannotConfirmItsMetadataNeverDeniesAnExistingTopic() {
    try (ProcessCluster cluster =
            ProcessCluster.start(ProcessCluster.freshDirectory("RestartedNodeTest"), 3, Map.of());
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);
      client.admin().createTopic("kept", 1, 3);
      awaitLeaders(client, "kept");

      // Alone after a restart, node 1 cannot learn what the metadata group committed.
      for (int node = 1; node <= 3; node++) {
        cluster.kill(node);
      }
      cluster.start(1);
      ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.clientAddress(1)).usePlaintext().build();
      try {
        ProduceRequest request =
            ProduceRequest.newBuilder()
                .setTopic("kept")
                .setPartition(0)
                .addRecords(Record.newBuilder().setValue(ByteString.copyFromUtf8("x")))
                .build();
        StatusRuntimeException e =
            catchThrowableOfType(
                StatusRuntimeException.class,
                () -> {
                  // The node may still be starting: retry until it answers at all.
                  long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                  while (true) {
                    try {
                      ProducerServiceGrpc.newBlockingStub(channel)
                          .withDeadlineAfter(10, TimeUnit.SECONDS)
                          .produce(request);
                      return;
                    } catch (StatusRuntimeException notYet) {
                      if (OrdoStatus.detailOf(notYet).isPresent() || System.nanoTime() > deadline) {
                        throw notYet;
                      }
                      TimeUnit.MILLISECONDS.sleep(200);
                    }
                  }
                });
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(OrdoStatus.detailOf(e).map(ErrorDetail::getCode)).contains(ErrorCode.LEADER_NOT_AVAILABLE);

        // Nor does it call itself healthy while it refuses clients: probes and tests would send them to it.
        assertThat(catchThrowableOfType(StatusRuntimeException.class,
                () -> AdminServiceGrpc.newBlockingStub(channel).describeCluster(DescribeClusterRequest.getDefaultInstance()))
            .getStatus().getDescription())
            .contains("node 1 is starting");
        assertThat(health(cluster.clientAddress(1))).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(httpHealth(cluster.metricsAddress(1))).isEqualTo(503);
        cluster.start(2);
        cluster.start(3);
        await("node 1 healthy once the metadata group has a leader again")
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(() -> health(cluster.clientAddress(1)) == ServingStatus.SERVING);
        assertThat(httpHealth(cluster.metricsAddress(1))).isEqualTo(200);
        assertThat(AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .describeCluster(DescribeClusterRequest.getDefaultInstance()).getNodesCount())
            .isEqualTo(3);
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
