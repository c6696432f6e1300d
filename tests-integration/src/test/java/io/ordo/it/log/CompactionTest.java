package io.ordo.it.log;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.metric;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static io.ordo.it.cluster.ClusterChecks.replicaOf;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import io.ordo.it.cluster.ClusterChecks;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.FetchRequest;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.QueuePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * A compacted topic (cleanup.policy=compact) as a changelog: after many updates of a few keys and
 * some deletes, a reader from the start sees exactly each live key's latest record, at the offset
 * its write was acknowledged at, in both read forms; tombstones go once delete.retention.ms passed.
 * A replica that lost its disk and caught up stores the same bytes, and a new leader serves the same.
 */
class CompactionTest {
  private static final String TOPIC = "changelog";
  private static final int KEYS = 10;

  @Test
  void aReaderFromTheStartSeesEachLiveKeysLatestRecordAtItsAcknowledgedOffset(TestInfo info) throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 3, Map.of());
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);
      await("compacted topics enabled")
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptionsMatching(e -> e instanceof OrdoException o && o.errorCode() == ErrorCode.FEATURE_NOT_ENABLED)
          .until(() -> client.admin().createTopic(TOPIC, 1, 3, Map.of(
              "cleanup.policy", "compact", "delete.retention.ms", "2000", "min.cleanable.dirty.ratio", "0.01")) != null);
      awaitLeaders(client, TOPIC);

      Map<Long, String> expected = new TreeMap<>();
      Map<String, Long> latestOffset = new TreeMap<>();
      try (Producer producer = client.producer()) {
        for (int round = 0; round < 15; round++) {
          // A round in flight together: batches of several records, so compacted batches keep some and lose some.
          List<ProducerRecord> records = new ArrayList<>();
          List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
          for (int k = 0; k < KEYS; k++) {
            records.add(ProducerRecord.of(TOPIC, "k" + k, "v" + round));
            sent.add(producer.send(records.get(k)));
          }
          producer.flush();
          for (int k = 0; k < KEYS; k++) {
            record(records.get(k), sent.get(k).get(30, TimeUnit.SECONDS).offset(), latestOffset, expected);
          }
        }
        // k1 is deleted; k2 deleted, then written again.
        send(producer, ProducerRecord.tombstone(TOPIC, "k1"), latestOffset, expected);
        send(producer, ProducerRecord.tombstone(TOPIC, "k2"), latestOffset, expected);
        send(producer, ProducerRecord.of(TOPIC, "k2", "back"), latestOffset, expected);
        // A last batch after them, of a key of its own: the partition's last batch is never compacted,
        // nor does it supersede records before it.
        send(producer, ProducerRecord.of(TOPIC, "end", "last"), latestOffset, expected);
      }
      expected.remove(latestOffset.remove("k1"));

      // Passes run as the leader looks (every 5 s): the first keeps the young tombstones, a later one removes them.
      await("the topic compacted to each live key's latest record")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> contents(readAll(client, TOPIC, 0)), expected::equals);
      assertThat(recordsForm(cluster.clientAddress(leader(client)))).isEqualTo(expected);
      assertThat(client.admin().describeTopic(TOPIC).partitions().get(0).endOffset()).isEqualTo(15 * KEYS + 4);

      try (Producer producer = client.producer()) {
        ExecutionException keyless = catchThrowableOfType(ExecutionException.class,
            () -> producer.send(ProducerRecord.of(TOPIC, "no key")).get(30, TimeUnit.SECONDS));
        assertThat(keyless.getCause()).isInstanceOfSatisfying(OrdoException.class, e -> {
          assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
          assertThat(e.getMessage()).contains("is compacted").contains("need keys");
        });
      }
      OrdoException queue = catchThrowableOfType(OrdoException.class,
          () -> ClusterChecks.createQueueGroup(client, "jobs", TOPIC, QueuePolicy.getDefaultInstance()));
      assertThat(queue.getMessage()).contains("is compacted");

      // A follower loses its disk and catches up: it must store what the others store, byte for byte.
      int leader = leader(client);
      int wiped = leader % 3 + 1;
      cluster.stop(wiped);
      cluster.wipe(wiped);
      cluster.start(wiped);
      await("node " + wiped + " caught up")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(() -> replicaOf(client, cluster, wiped, TOPIC).orElseThrow().getEndOffset() == 15 * KEYS + 4);
      String series = "ordo_partition_stored_bytes{partition=\"0\",topic=\"" + TOPIC + "\"}";
      await("every replica storing the same bytes")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> {
            List<OptionalDouble> stored = new ArrayList<>();
            for (int node = 1; node <= 3; node++) {
              stored.add(metric(cluster.metricsAddress(node), series));
            }
            return stored;
          }, stored -> stored.stream().distinct().count() == 1 && stored.get(0).isPresent());

      cluster.kill(leader);
      await("a new leader").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> leader(client) != leader);
      assertThat(contents(readAll(client, TOPIC, 0))).isEqualTo(expected);
      assertThat(recordsForm(cluster.clientAddress(leader(client)))).isEqualTo(expected);
    }
  }

  private static void send(Producer producer, ProducerRecord record, Map<String, Long> latestOffset, Map<Long, String> expected)
      throws Exception {
    record(record, producer.send(record).get(30, TimeUnit.SECONDS).offset(), latestOffset, expected);
  }

  /** Notes that {@code record} was acknowledged at {@code offset}: the latest of its key, for now. */
  private static void record(ProducerRecord record, long offset, Map<String, Long> latestOffset, Map<Long, String> expected) {
    String key = new String(record.key(), UTF_8);
    Long before = latestOffset.put(key, offset);
    if (before != null) {
      expected.remove(before);
    }
    expected.put(offset, key + "=" + (record.value() == null ? "null" : new String(record.value(), UTF_8)));
  }

  private static int leader(OrdoClient client) {
    return client.admin().describeTopic(TOPIC).partitions().get(0).leader();
  }

  /** Offset -> key=value, as the Java client reads it (stored batches). */
  private static Map<Long, String> contents(List<ConsumerRecord> records) {
    Map<Long, String> out = new LinkedHashMap<>();
    records.forEach(r -> out.put(r.offset(), r.keyAsString() + "=" + (r.isTombstone() ? "null" : r.valueAsString())));
    return out;
  }

  /** The same read in records form (a client that does not ask for stored batches), a few records per fetch. */
  private static Map<Long, String> recordsForm(String leaderAddress) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(leaderAddress).usePlaintext().build();
    try {
      Map<Long, String> out = new LinkedHashMap<>();
      long offset = -2; // EARLIEST
      for (int fetches = 0; fetches < 1_000; fetches++) {
        FetchResponse response = ConsumerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
            .fetch(FetchRequest.newBuilder().setTopic(TOPIC).setOffset(offset).setMaxRecords(3).build());
        for (ConsumedRecord r : response.getRecordsList()) {
          out.put(r.getOffset(), r.getKey().toStringUtf8() + "=" + (r.getTombstone() ? "null" : r.getValue().toStringUtf8()));
        }
        if (response.getNextOffset() >= response.getEndOffset()) {
          return out;
        }
        offset = response.getNextOffset();
      }
      throw new AssertionError("the reads never reached the end: " + out);
    } finally {
      channel.shutdownNow();
    }
  }
}
