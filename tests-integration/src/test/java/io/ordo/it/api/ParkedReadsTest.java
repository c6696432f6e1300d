package io.ordo.it.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.ordo.client.OrdoClient;
import io.ordo.client.PartitionInfo;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.FetchRequest;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.SpecialOffset;
import io.ordo.proto.v1.SubscribeRequest;
import io.ordo.protocol.OrdoStatus;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A partition leader keeps at most {@code --max-parked-reads-per-partition} reads waiting for its
 * next append; past it a fetch answers at once with nothing and a subscription ends OVERLOADED.
 */
class ParkedReadsTest {
  // One place, and no leadership moves that would wake (and so free) it during the test.
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of("--max-parked-reads-per-partition", "1", "--leader-balance-interval-secs", "0"));

  private static ProcessCluster cluster;
  private static OrdoClient client;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() {
    cluster = CLUSTER.processes();
    client = CLUSTER.client();
    PartitionInfo partition = CLUSTER.createTopic("idle", 1).partitions().get(0);
    channel = ManagedChannelBuilder.forTarget(cluster.clientAddress(partition.leader())).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
  }

  /** Subscribes at the end of the idle partition; the future completes with the stream's error, or null. */
  private static CompletableFuture<Throwable> subscribeAtTheEnd() {
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    ConsumerServiceGrpc.newStub(channel)
        .subscribe(
            SubscribeRequest.newBuilder().setTopic("idle").setPartition(0).setOffset(SpecialOffset.LATEST_VALUE).build(),
            new StreamObserver<>() {
              @Override
              public void onNext(FetchResponse value) {}

              @Override
              public void onError(Throwable t) {
                ended.complete(t);
              }

              @Override
              public void onCompleted() {
                ended.complete(null);
              }
            });
    return ended;
  }

  @Test
  void pastTheCapAFetchAnswersAtOnceAndASubscriptionEndsOverloaded() throws Exception {
    Context.CancellableContext first = Context.current().withCancellation();
    CompletableFuture<Throwable> firstEnded = first.call(ParkedReadsTest::subscribeAtTheEnd);
    try {
      // The first subscription takes the one place once it has parked. Until then a fetch may park
      // in its stead and run into the deadline; once it has, a fetch that could wait 30 s answers
      // well inside its 10 s deadline.
      await("a fetch answered at once, since the subscription holds the only place")
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptionsMatching(e -> Status.fromThrowable(e).getCode() == Status.Code.DEADLINE_EXCEEDED)
          .untilAsserted(
              () -> {
                FetchResponse response =
                    ConsumerServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .fetch(
                            FetchRequest.newBuilder()
                                .setTopic("idle")
                                .setPartition(0)
                                .setOffset(SpecialOffset.LATEST_VALUE)
                                .setMaxWaitMs(30_000)
                                .build());
                assertThat(response.getRecordsCount()).isZero();
              });

      Throwable second = subscribeAtTheEnd().get(30, TimeUnit.SECONDS);

      assertThat(Status.fromThrowable(second).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(OrdoStatus.detailOf(second).orElseThrow().getCode()).isEqualTo(ErrorCode.OVERLOADED);
      assertThat(firstEnded).as("the parked subscription is untouched").isNotDone();
    } finally {
      first.cancel(null);
    }
  }
}
