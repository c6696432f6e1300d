package io.ordo.it.queues;

import static io.ordo.it.cluster.ClusterChecks.produceAll;
import static io.ordo.it.cluster.ClusterChecks.createQueueGroup;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.Header;
import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.ProducerRecord;
import io.ordo.client.QueueConsumer;
import io.ordo.client.QueueGroupInfo;
import io.ordo.client.QueuedRecord;
import io.ordo.it.cluster.ClusterChecks;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.QueuePolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dead letters exported to the dead-letter topic on a real cluster: one record per dead letter,
 * with the original key, value and headers and where it came from, though the exporting leader
 * is killed while the records die and export.
 */
class DeadLetterExportTest {
  private static final String TOPIC = "payments";
  private static final int RECORDS = 400;
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of());

  private static ProcessCluster cluster;
  private static OrdoClient client;

  @BeforeAll
  static void start() {
    cluster = CLUSTER.processes();
    client = CLUSTER.client();
    CLUSTER.createTopic(TOPIC, 2);
    produceAll(client, IntStream.range(0, RECORDS).mapToObj(i -> ProducerRecord.of(TOPIC, "card-" + i, "payment-" + i)
        .withPartition(i % 2)
        .withHeaders(List.of(new Header("trace", ("t" + i).getBytes(StandardCharsets.UTF_8))))).toList());
  }

  @Test
  void everyDeadLetterIsExportedOnceThoughTheLeaderIsKilled() {
    // One delivery each: a reject, or a lease that ends, dead-letters the record.
    createQueueGroup(client, "payers", TOPIC, QueuePolicy.newBuilder().setMaxDeliveries(1).setLeaseMs(3_000).build());
    int killed = 0;
    int rejected = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    try (QueueConsumer consumer = client.queueConsumer("payers", TOPIC)) {
      while (rejected < RECORDS && System.nanoTime() < deadline) {
        List<QueuedRecord> batch;
        try {
          batch = consumer.receive(20, Duration.ofSeconds(1));
        } catch (OrdoException e) {
          continue; // partition 0 between leaders
        }
        for (QueuedRecord r : batch) {
          try {
            consumer.reject(r, "card declined: " + r.record().valueAsString());
          } catch (OrdoException e) {
            // Around the kill: its lease ends and it dies anyway.
          }
          rejected++;
        }
        if (killed == 0 && rejected >= RECORDS / 2) {
          killed = client.admin().describeTopic(TOPIC).partitions().get(0).leader();
          cluster.kill(killed);
        }
      }
    }
    assertThat(killed).as("a leader was killed halfway").isNotZero();
    cluster.start(killed);
    await("every dead letter exported")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(() -> {
          QueueGroupInfo info = client.admin().describeQueueGroup("payers");
          return sum(info, QueueGroupInfo.Partition::deadLettered) == RECORDS
              && sum(info, QueueGroupInfo.Partition::unexported) == 0;
        });

    Map<String, ConsumerRecord> exported = new HashMap<>();
    for (int p = 0; p < 2; p++) {
      for (ConsumerRecord r : readAll(client, TOPIC + ".dlq", p)) {
        String source = header(r, "ordo.dlq.partition") + "@" + header(r, "ordo.dlq.offset");
        assertThat(exported.put(source, r)).as("exported twice: " + source).isNull();
      }
    }
    assertThat(exported).hasSize(RECORDS);
    for (ConsumerRecord r : exported.values()) {
      String value = r.valueAsString();
      String n = value.substring("payment-".length());
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("card-" + n);
      assertThat(header(r, "trace")).isEqualTo("t" + n);
      assertThat(header(r, "ordo.dlq.topic")).isEqualTo(TOPIC);
      assertThat(header(r, "ordo.dlq.group")).isEqualTo("payers");
      assertThat(header(r, "ordo.dlq.partition")).isEqualTo(Integer.toString(Integer.parseInt(n) % 2));
      assertThat(header(r, "ordo.dlq.deliveries")).isEqualTo("1");
      assertThat(header(r, "ordo.dlq.reason")).isIn("REJECTED", "MAX_DELIVERIES");
      if (header(r, "ordo.dlq.reason").equals("REJECTED")) {
        assertThat(header(r, "ordo.dlq.error")).isEqualTo("card declined: " + value);
      }
    }
    assertThat(client.admin().deadLetters("payers", RECORDS + 1)).as("still listable in the group").hasSize(RECORDS);
  }

  @Test
  void aGroupWithoutADeadLetterTopicKeepsThemToItself() {
    createQueueGroup(client, "keepers", TOPIC, QueuePolicy.newBuilder().setMaxDeliveries(1).setDeadLetterTopic("").build());
    try (QueueConsumer consumer = client.queueConsumer("keepers", TOPIC)) {
      List<QueuedRecord> batch = consumer.receive(3, Duration.ofSeconds(10));
      batch.forEach(r -> consumer.reject(r, "no"));
      assertThat(client.admin().deadLetters("keepers", 10)).hasSize(batch.size());
    }
    QueueGroupInfo info = client.admin().describeQueueGroup("keepers");
    assertThat(info.policy().getDeadLetterTopic()).isEmpty();
    assertThat(sum(info, QueueGroupInfo.Partition::unexported)).isZero();
  }

  private static String header(ConsumerRecord r, String key) {
    return ClusterChecks.header(r, key).orElseThrow(() -> new AssertionError("no header " + key + " on " + r));
  }

  private static long sum(QueueGroupInfo info, ToLongFunction<QueueGroupInfo.Partition> count) {
    return info.partitions().stream().mapToLong(count).sum();
  }
}
