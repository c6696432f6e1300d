package io.ordo.it.log;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.localReplicas;
import static io.ordo.it.cluster.ClusterChecks.metric;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import io.ordo.client.TopicInfo;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.LocalReplicasResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * A 3-node cluster of real processes: acknowledged records survive a leader's SIGKILL, a restart of
 * the whole cluster, and a replica that loses its disk.
 */
class ReplicatedLogTest {
  private static final int PARTITIONS = 6;
  private static final int RECORDS = 20_000;
  private static final int KEYS = 500;

  @Test
  void leaderCrashLosesNoAcknowledgedRecord(TestInfo info) throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 3, Map.of());
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);
      client.admin().createTopic("orders", PARTITIONS, 3);
      awaitLeaders(client, "orders");

      Map<String, CompletableFuture<RecordMetadata>> sends = new HashMap<>();
      int killed = 0;
      try (Producer producer = client.producer()) {
        for (int i = 0; i < RECORDS; i++) {
          if (i == RECORDS / 2) {
            producer.flush();
            killed = client.admin().describeTopic("orders").partitions().get(0).leader();
            cluster.kill(killed);
          }
          String value = "v-" + i;
          sends.put(value, producer.send(ProducerRecord.of("orders", "key-" + (i % KEYS), value)));
        }
        producer.flush();
      }
      Map<String, Long> failures = new TreeMap<>();
      Map<String, RecordMetadata> acked = acknowledged(sends, failures);
      assertThat(acked).as("production continued after the leader was killed; sends failed with %s", failures)
          .hasSize(RECORDS);

      cluster.start(killed);
      awaitHealthy(client, 3);
      assertEveryAcknowledgedRecordReadOnceInOrder(client, acked);

      for (int node = 1; node <= 3; node++) {
        cluster.kill(node);
      }
      for (int node = 1; node <= 3; node++) {
        cluster.start(node);
      }
      awaitHealthy(client, 3);
      awaitLeaders(client, "orders");
      assertEveryAcknowledgedRecordReadOnceInOrder(client, acked);
    }
  }

  @Test
  void aReplicaSnapshotsOnceItHasAppliedSnapshotLogMbWhateverTheInterval(TestInfo info) throws Exception {
    // jraft keeps a group's log from the snapshot before last: with only the interval, a busy
    // partition's log held two intervals of writes (a node filled its disk in minutes).
    Map<String, String> options = Map.of("--snapshot-interval-secs", "3600", "--snapshot-log-index-margin", "5", "--snapshot-log-mb", "1");
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 1, options);
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 1);
      client.admin().createTopic("events", 1, 1);
      awaitLeaders(client, "events");
      byte[] value = new byte[1024];
      try (Producer producer = client.producer()) {
        for (int i = 0; i < 4_000; i++) {
          producer.send(ProducerRecord.of("events", value));
          if (i % 200 == 199) {
            producer.flush(); // entries of 200 KiB: a snapshot is due every five
          }
        }
        producer.flush();
      }
      // About 4 MiB applied: a snapshot at each MiB (one may be declined while another is taken).
      await("snapshots for the log's size")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(() -> assertThat(metric(cluster.metricsAddress(1), "ordo_snapshot_written_seconds_count").orElse(0))
              .isGreaterThanOrEqualTo(2));
    }
  }

  @Test
  void wipedReplicaCatchesUpFromSnapshot(TestInfo info) throws Exception {
    // Snapshot often, so the leaders' logs no longer hold the start of the partition.
    Map<String, String> options = Map.of("--snapshot-interval-secs", "1", "--snapshot-log-index-margin", "5");
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 3, options);
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);
      client.admin().createTopic("events", 2, 3);
      awaitLeaders(client, "events");
      Map<String, CompletableFuture<RecordMetadata>> sends = new HashMap<>();
      try (Producer producer = client.producer()) {
        for (int i = 0; i < 4_000; i++) {
          String value = "e-" + i;
          sends.put(value, producer.send(ProducerRecord.of("events", "k-" + (i % 50), value)));
          if (i % 400 == 399) {
            producer.flush(); // many small Raft entries, so snapshots have something to cut
          }
        }
      }
      int wiped = 3;
      cluster.stop(wiped);
      // A log drops its start only at a replica's second snapshot (jraft truncates it to the one
      // before), so records go on while every partition on the other nodes is seen at two
      // snapshots: then no log holds a partition's start, and only a snapshot can catch node 3 up.
      Map<Path, Set<String>> snapshotsSeen = new HashMap<>();
      try (Producer producer = client.producer()) {
        await("two snapshots of every partition on the other nodes")
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> {
              for (int p = 0; p < 2; p++) {
                String value = "more-" + sends.size();
                sends.put(value, producer.send(ProducerRecord.of("events", value).withPartition(p)));
              }
              producer.flush();
              for (int node = 1; node <= 3; node++) {
                if (node != wiped) {
                  recordSnapshots(cluster.dataDir(node).resolve("raft"), snapshotsSeen);
                }
              }
              return snapshotsSeen.size() == 2 * 2 && snapshotsSeen.values().stream().allMatch(seen -> seen.size() >= 2);
            });
      }
      Map<String, RecordMetadata> acked = acknowledged(sends, new TreeMap<>());
      cluster.wipe(wiped);
      cluster.start(wiped);
      awaitHealthy(client, 3);

      // The leaders' logs start past the data, so the wiped replica can only catch up from a
      // snapshot: it must reach every leader's end offset.
      TopicInfo topic = awaitLeaders(client, "events");
      await("node " + wiped + " caught up")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .ignoreExceptions()
          .until(() -> {
            Map<Integer, Long> leaderEnds = new HashMap<>();
            client.admin().describeTopic("events").partitions().forEach(p -> leaderEnds.put(p.partition(), p.endOffset()));
            LocalReplicasResponse local = localReplicas(cluster.clientAddress(wiped));
            return local.getReplicasCount() == topic.partitions().size()
                && local.getReplicasList().stream()
                    .allMatch(r -> r.getEndOffset() == leaderEnds.get(r.getPartition()) && r.getEndOffset() > 0);
          });
      assertThat(metric(cluster.metricsAddress(wiped), "ordo_snapshot_installed_seconds_count").orElse(0))
          .as("snapshots installed, in node %d's metrics", wiped).isPositive();
      assertThat(metric(cluster.metricsAddress(1), "ordo_snapshot_written_seconds_count").orElse(0))
          .as("snapshots written, in node 1's metrics").isGreaterThanOrEqualTo(2);
      assertThat(metric(cluster.metricsAddress(1), "ordo_snapshot_exported_seconds_count").orElse(0)
              + metric(cluster.metricsAddress(2), "ordo_snapshot_exported_seconds_count").orElse(0))
          .as("copies exported for node %d by the leaders", wiped).isPositive();
      // A local snapshot is the flushed store: the nodes that never installed one keep no copy of
      // the data, and the copies exported for node 3 are gone once it has them.
      await("exports deleted")
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(filesNamed(cluster.dataDir(1).resolve("raft"), "partition.snap")).isEmpty());
      // With node 1 gone, node 3's copy is half of every quorum; the log must still read whole.
      cluster.kill(1);
      awaitLeaders(client, "events");
      assertEveryAcknowledgedRecordReadOnceInOrder(client, acked);
    }
  }

  /** The acknowledged sends; each other one's failure counted in {@code failures} by its message. */
  private static List<Path> filesNamed(Path dir, String name) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      return paths.filter(path -> path.getFileName().toString().equals(name)).toList();
    }
  }

  /** Adds the snapshots each partition group under {@code raftDir} holds now to {@code seen}, by group directory. */
  private static void recordSnapshots(Path raftDir, Map<Path, Set<String>> seen) throws IOException {
    try (Stream<Path> groups = Files.list(raftDir)) {
      for (Path group : groups.filter(g -> g.getFileName().toString().startsWith("p-")).toList()) {
        if (!Files.isDirectory(group.resolve("snapshot"))) {
          continue;
        }
        try (Stream<Path> snapshots = Files.list(group.resolve("snapshot"))) {
          snapshots.map(snapshot -> snapshot.getFileName().toString())
              .filter(name -> name.startsWith("snapshot_"))
              .forEach(name -> seen.computeIfAbsent(group, g -> new HashSet<>()).add(name));
        }
      }
    }
  }

  private static Map<String, RecordMetadata> acknowledged(
      Map<String, CompletableFuture<RecordMetadata>> sends, Map<String, Long> failures) throws Exception {
    Map<String, RecordMetadata> acked = new HashMap<>();
    for (Map.Entry<String, CompletableFuture<RecordMetadata>> e : sends.entrySet()) {
      try {
        acked.put(e.getKey(), e.getValue().get(3, TimeUnit.MINUTES));
      } catch (java.util.concurrent.ExecutionException failed) {
        // not acknowledged: may or may not be in the log, never counted as lost
        failures.merge(String.valueOf(failed.getCause()), 1L, Long::sum);
      }
    }
    return acked;
  }

  /**
   * Every acknowledged record is in its partition exactly once, at the offset it was acknowledged
   * with; offsets are contiguous; per key, records are in the order they were sent.
   */
  private static void assertEveryAcknowledgedRecordReadOnceInOrder(
      OrdoClient client, Map<String, RecordMetadata> acked) {
    String topic = acked.values().iterator().next().topic();
    int partitions = client.admin().describeTopic(topic).partitions().size();
    Map<String, Long> seenAt = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      List<ConsumerRecord> records = readAll(client, topic, p);
      Map<String, Integer> lastIndexByKey = new HashMap<>();
      long expectedOffset = records.isEmpty() ? 0 : records.get(0).offset();
      for (ConsumerRecord r : records) {
        assertThat(r.offset()).as("offsets of partition %d are contiguous", p).isEqualTo(expectedOffset++);
        String value = r.valueAsString();
        assertThat(seenAt.put(value, r.offset())).as("%s appears once", value).isNull();
        int index = Integer.parseInt(value.substring(value.indexOf('-') + 1));
        Integer previous = lastIndexByKey.put(r.keyAsString(), index);
        assertThat(previous == null || previous < index)
            .as("key %s: record %d after record %d", r.keyAsString(), index, previous)
            .isTrue();
      }
    }
    List<String> missing = new ArrayList<>();
    acked.forEach((value, meta) -> {
      Long offset = seenAt.get(value);
      if (offset == null || offset != meta.offset()) {
        missing.add(value + "@" + meta.partition() + "/" + meta.offset() + " read at " + offset);
      }
    });
    assertThat(missing).as("acknowledged records not read back at their offsets").isEmpty();
  }
}
