package io.ordo.client.internal;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.InsecureChannelCredentials;
import io.ordo.client.testing.FakeCluster;
import io.ordo.client.testing.FakeCluster.Rpc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetadataCacheTest {
  private static final long MAX_AGE_NANOS = Duration.ofMillis(100).toNanos();

  private FakeCluster cluster;
  private ChannelPool channels;
  private ScheduledExecutorService scheduler;
  private MetadataCache cache;

  @BeforeEach
  void start() throws Exception {
    cluster = new FakeCluster(3);
    cluster.createTopic("events", 1);
    channels = new ChannelPool(InsecureChannelCredentials.create());
    scheduler = Executors.newSingleThreadScheduledExecutor();
    cache = new MetadataCache(
        List.of(cluster.bootstrap().split(",")), channels, SECONDS.toNanos(5), MAX_AGE_NANOS, scheduler);
  }

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
    channels.close();
    cluster.close();
  }

  private int describeCalls() {
    return IntStream.rangeClosed(1, 3).map(id -> cluster.calls(id, Rpc.ADMIN)).sum();
  }

  @Test
  void aTopicInUseIsLookedUpAgainInTheBackgroundWhileItsEntryServes() throws Exception {
    assertThat(cache.topic("events").get(5, SECONDS).leaderAddress(0)).isEqualTo(cluster.address(1));

    cluster.setLeader("events", 0, 2);

    await("the moved leader, seen by lookups that never wait")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> {
          MetadataCache.TopicMetadata entry = cache.cached("events");
          assertThat(entry).as("an entry in use is never dropped for its age").isNotNull();
          return entry.leaderAddress(0).equals(cluster.address(2));
        });
  }

  @Test
  void aTopicUnusedForTheMaxAgeIsForgottenAndNotLookedUpAgain() throws Exception {
    cache.topic("events").get(5, SECONDS);
    int[] seen = {describeCalls()};

    await("no more lookups of an unused topic for five max ages")
        .atMost(Duration.ofSeconds(10))
        .during(Duration.ofNanos(5 * MAX_AGE_NANOS))
        .until(() -> {
          int calls = describeCalls();
          boolean unchanged = calls == seen[0];
          seen[0] = calls;
          return unchanged;
        });
    assertThat(cache.cached("events")).isNull();
  }
}
