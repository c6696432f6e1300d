package io.ordo.client;

import static io.ordo.client.testing.FakeCluster.error;
import static io.ordo.client.testing.FakeCluster.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ordo.client.testing.FakeCluster;
import io.ordo.client.testing.FakeCluster.Rpc;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.Record;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConsumerTest {
  private FakeCluster cluster;
  private OrdoClient client;
  private Consumer consumer;

  @BeforeEach
  void start() throws Exception {
    cluster = new FakeCluster(3);
    cluster.createTopic("events", 2);
    client =
        OrdoClient.builder()
            .bootstrap(cluster.bootstrap())
            .requestTimeout(Duration.ofSeconds(5))
            .build();
    consumer = client.consumer();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    cluster.close();
  }

  private static List<Record> records(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> record("v" + i)).toList();
  }

  @Test
  void fetchReturnsRecordsFromTheOffsetAndWhereToContinue() {
    cluster.append("events", 0, records(0, 10));
    FetchResult result = consumer.fetch("events", 0, 4, 3, 0, Duration.ZERO);
    assertThat(result.records()).extracting(ConsumerRecord::offset).containsExactly(4L, 5L, 6L);
    assertThat(result.records()).extracting(ConsumerRecord::valueAsString)
        .containsExactly("v4", "v5", "v6");
    assertThat(result.records().get(0).key()).isNull();
    assertThat(result.nextOffset()).isEqualTo(7);
    assertThat(result.endOffset()).isEqualTo(10);
  }

  @Test
  void fetchReturnsAtMostMaxRecordsWhenTheNodeAnswersInWholeBatches() {
    cluster.append("events", 0, records(0, 10));
    cluster.answerFetchesInBatchesOf(4);
    FetchResult result = consumer.fetch("events", 0, 5, 4, 0, Duration.ZERO); // batches 4-7 and 8-9 come whole
    assertThat(result.records()).extracting(ConsumerRecord::offset).containsExactly(5L, 6L, 7L, 8L);
    assertThat(result.nextOffset()).isEqualTo(9);
    assertThat(consumer.fetch("events", 0, 9, 4, 0, Duration.ZERO).records()).extracting(ConsumerRecord::offset).containsExactly(9L);
  }

  @Test
  void fetchFollowsTheLeaderWhenItMoves() {
    cluster.append("events", 0, records(0, 3));
    assertThat(consumer.fetch("events", 0, Consumer.EARLIEST, 0, 0, Duration.ZERO).records())
        .hasSize(3);
    cluster.setLeader("events", 0, 3);
    cluster.failNext(3, Rpc.FETCH, error(ErrorCode.OVERLOADED));
    FetchResult result = consumer.fetch("events", 0, 1, 0, 0, Duration.ZERO);
    assertThat(result.records()).extracting(ConsumerRecord::offset).containsExactly(1L, 2L);
    assertThat(cluster.calls(3, Rpc.FETCH)).isEqualTo(2);
  }

  @Test
  void fetchOutsideTheLogFailsWithTheReadableRange() {
    cluster.append("events", 1, records(0, 5));
    assertThatThrownBy(() -> consumer.fetch("events", 1, 9, 0, 0, Duration.ZERO))
        .isInstanceOfSatisfying(
            OffsetOutOfRangeException.class,
            e -> {
              assertThat(e.startOffset()).isZero();
              assertThat(e.endOffset()).isEqualTo(5);
              assertThat(e.isRetriable()).isFalse();
            });
  }

  @Test
  void fetchOfAnUnknownTopicFails() {
    assertThatThrownBy(() -> consumer.fetch("nope", 0, 0, 0, 0, Duration.ZERO))
        .isInstanceOf(UnknownTopicException.class);
  }

  @Test
  void longPollReturnsRecordsCommittedWhileWaiting() throws Exception {
    Thread appender =
        new Thread(
            () -> {
              await().until(() -> cluster.calls(2, Rpc.FETCH) == 1);
              cluster.append("events", 1, records(0, 1));
            });
    appender.start();
    FetchResult result = consumer.fetch("events", 1, 0, 0, 0, Duration.ofSeconds(30));
    appender.join();
    assertThat(result.records()).extracting(ConsumerRecord::valueAsString).containsExactly("v0");
  }

  @Test
  void subscriptionSeesEveryOffsetOnceInOrderAcrossFailover() {
    cluster.append("events", 0, records(0, 20));
    List<Long> offsets = new CopyOnWriteArrayList<>();
    Subscription subscription =
        consumer.subscribe("events", 0, Consumer.EARLIEST, r -> offsets.add(r.offset()));
    await().until(() -> offsets.size() >= 20);

    cluster.setLeader("events", 0, 2);
    cluster.breakStreams(1, error(ErrorCode.NOT_LEADER));
    cluster.append("events", 0, records(20, 40));
    await().until(() -> offsets.size() >= 40);

    cluster.setLeader("events", 0, 0);
    cluster.breakStreams(2, error(ErrorCode.LEADER_NOT_AVAILABLE));
    cluster.append("events", 0, records(40, 60));
    cluster.setLeader("events", 0, 3);
    await().until(() -> offsets.size() >= 60);

    assertThat(offsets).containsExactlyElementsOf(LongStream.range(0, 60).boxed().toList());
    assertThat(subscription.position()).isEqualTo(60);
    subscription.close();
    await().until(() -> subscription.done().isDone());
    assertThat(subscription.done()).isCompleted();
  }

  @Test
  void subscriptionFromLatestSeesOnlyNewRecords() {
    cluster.append("events", 1, records(0, 5));
    List<String> values = new CopyOnWriteArrayList<>();
    Subscription subscription =
        consumer.subscribe("events", 1, Consumer.LATEST, r -> values.add(r.valueAsString()));
    await().until(() -> cluster.calls(2, Rpc.SUBSCRIBE) == 1);
    cluster.append("events", 1, records(5, 7));
    await().until(() -> values.size() == 2);
    assertThat(values).containsExactly("v5", "v6");
    subscription.close();
  }

  @Test
  void subscriptionEndsOnANonRetriableError() {
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    Subscription subscription =
        consumer.subscribe(
            "events",
            0,
            99,
            new RecordHandler() {
              @Override
              public void onRecord(ConsumerRecord record) {}

              @Override
              public void onError(Throwable error) {
                errors.add(error);
              }
            });
    await().until(() -> subscription.done().isDone());
    assertThat(subscription.done()).isCompletedExceptionally();
    assertThat(errors).singleElement().isInstanceOf(OffsetOutOfRangeException.class);
  }
}
