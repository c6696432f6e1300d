package io.ordo.node.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.ClusterDescription;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.proto.v1.LocalReplicasRequest;
import io.ordo.proto.v1.LocalReplicasResponse;
import io.ordo.proto.v1.NodeServiceGrpc;
import io.ordo.protocol.OrdoStatus;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StartingGateTest {
  private final AtomicBoolean hasMetadata = new AtomicBoolean();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new AdminServiceGrpc.AdminServiceImplBase() {
          @Override
          public void describeCluster(DescribeClusterRequest request, StreamObserver<ClusterDescription> response) {
            response.onNext(ClusterDescription.newBuilder().setMetadataLeader(1).build());
            response.onCompleted();
          }
        })
        .addService(new NodeServiceGrpc.NodeServiceImplBase() {
          @Override
          public void localReplicas(LocalReplicasRequest request, StreamObserver<LocalReplicasResponse> response) {
            response.onNext(LocalReplicasResponse.newBuilder().setNodeId(7).build());
            response.onCompleted();
          }
        })
        .intercept(new StartingGate(7, hasMetadata::get))
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void clientCallsWaitForTheMetadataWhilePeersAreAnsweredAtOnce() {
    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> AdminServiceGrpc.newBlockingStub(channel).describeCluster(DescribeClusterRequest.getDefaultInstance()));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(refused.getStatus().getDescription()).contains("node 7 is starting");
    assertThat(OrdoStatus.detailOf(refused).map(ErrorDetail::getCode)).contains(ErrorCode.LEADER_NOT_AVAILABLE);
    assertThat(NodeServiceGrpc.newBlockingStub(channel).localReplicas(LocalReplicasRequest.getDefaultInstance()).getNodeId()).isEqualTo(7);

    hasMetadata.set(true);
    assertThat(AdminServiceGrpc.newBlockingStub(channel).describeCluster(DescribeClusterRequest.getDefaultInstance()).getMetadataLeader())
        .isEqualTo(1);
    hasMetadata.set(false);
    assertThat(AdminServiceGrpc.newBlockingStub(channel).describeCluster(DescribeClusterRequest.getDefaultInstance()).getMetadataLeader())
        .as("once open, it stays open")
        .isEqualTo(1);
  }
}
