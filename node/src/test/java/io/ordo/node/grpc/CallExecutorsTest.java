package io.ordo.node.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.ordo.node.security.Authentication;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.ClusterDescription;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.ProduceResponse;
import io.ordo.proto.v1.ProducerServiceGrpc;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node's client port, set up as OrdoNode sets it up: which thread runs each kind of call. */
class CallExecutorsTest {
  private static final String HANDLER_THREAD = "test-handler";

  private final AtomicReference<String> produceThread = new AtomicReference<>();
  private final AtomicReference<String> adminThread = new AtomicReference<>();
  private ExecutorService handlers;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    handlers = Executors.newFixedThreadPool(2, r -> new Thread(r, HANDLER_THREAD));
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .executor(CallExecutors.TRANSPORT)
        .callExecutor(new CallExecutors(handlers))
        .addService(new ProducerServiceGrpc.ProducerServiceImplBase() {
          @Override
          public void produce(ProduceRequest request, StreamObserver<ProduceResponse> response) {
            produceThread.set(Thread.currentThread().getName());
            response.onNext(ProduceResponse.getDefaultInstance());
            response.onCompleted();
          }
        })
        .addService(new AdminServiceGrpc.AdminServiceImplBase() {
          @Override
          public void describeCluster(DescribeClusterRequest request, StreamObserver<ClusterDescription> response) {
            adminThread.set(Thread.currentThread().getName());
            response.onNext(ClusterDescription.getDefaultInstance());
            response.onCompleted();
          }
        })
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    handlers.shutdownNow();
  }

  @Test
  void produceCallsRunOnTheTransportThreadAndTheRestOnTheHandlerPool() {
    ProducerServiceGrpc.newBlockingStub(channel).produce(ProduceRequest.getDefaultInstance());
    assertThat(produceThread.get()).isNotEqualTo(HANDLER_THREAD).contains("worker");

    AdminServiceGrpc.newBlockingStub(channel).describeCluster(DescribeClusterRequest.getDefaultInstance());
    assertThat(adminThread.get()).isEqualTo(HANDLER_THREAD);
  }

  @Test
  void aProduceCallWithAPasswordRunsOnTheHandlerPool() {
    Metadata credentials = new Metadata();
    credentials.put(Authentication.AUTHORIZATION, "Basic dXNlcjpwYXNzd29yZA==");
    ProducerServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(credentials))
        .produce(ProduceRequest.getDefaultInstance());
    assertThat(produceThread.get()).isEqualTo(HANDLER_THREAD);
  }
}
