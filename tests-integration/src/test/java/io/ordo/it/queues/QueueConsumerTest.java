package io.ordo.it.queues;

import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.produceAll;
import static io.ordo.it.cluster.ClusterChecks.createQueueGroup;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.DeadLetterRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.QueueConsumer;
import io.ordo.client.QueueGroupInfo;
import io.ordo.client.QueuedRecord;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.SettleOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToLongFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Java queue consumer on a real cluster: consumers share two partitions' records, a nacked
 * record comes back with its delivery counted, one rejected is dead-lettered, a consumer that
 * stops hands back what it did not settle, and every record is acked exactly once; the group's
 * counts, dead letters and redrive; a lease nobody settles ends on an idle partition.
 */
class QueueConsumerTest {
  private static final String TOPIC = "tasks";
  private static final int RECORDS = 200;
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of());

  private static ProcessCluster cluster;
  private static OrdoClient client;

  @BeforeAll
  static void start() {
    cluster = CLUSTER.processes();
    client = CLUSTER.client();
    CLUSTER.createTopic(TOPIC, 2);
    produceAll(client, IntStream.range(0, RECORDS).mapToObj(i -> ProducerRecord.of(TOPIC, "task-" + i).withPartition(i % 2)).toList());
    createQueueGroup(client, "workers", TOPIC, QueuePolicy.newBuilder().setMaxDeliveries(3).build());
  }

  @Test
  void consumersShareTheRecordsAndEachIsAckedOnce() {
    Map<String, Integer> acked = new TreeMap<>();
    Map<String, Integer> deliveries = new TreeMap<>();
    String poison = "task-7";
    try (QueueConsumer quitter = client.queueConsumer("workers", TOPIC)) {
      assertThat(quitter.receive(5, Duration.ofSeconds(10))).as("received, never settled").isNotEmpty();
    } // closing releases them: the others get them at once, this delivery not counted

    List<QueueConsumer> consumers = List.of(
        client.queueConsumer("workers", TOPIC), client.queueConsumer("workers", TOPIC), client.queueConsumer("workers", TOPIC));
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      for (QueueConsumer consumer : consumers) {
        for (QueuedRecord r : consumer.receive(10, Duration.ofMillis(200))) {
          String value = r.record().valueAsString();
          deliveries.merge(value, 1, Integer::sum);
          assertThat(r.deliveries()).as(value).isEqualTo(deliveries.get(value));
          if (value.equals(poison)) {
            assertThat(consumer.reject(r, "cannot parse")).isEqualTo(SettleOutcome.SETTLED);
          } else if (value.endsWith("0") && r.deliveries() == 1) {
            assertThat(consumer.nack(r, Duration.ofMillis(200), "try later")).isEqualTo(SettleOutcome.SETTLED);
          } else {
            assertThat(consumer.ack(r)).isEqualTo(SettleOutcome.SETTLED);
            acked.merge(value, 1, Integer::sum);
          }
        }
      }
      return acked.size() == RECORDS - 1;
    });
    assertThat(acked.values()).as("each acked once").containsOnly(1);
    assertThat(acked).doesNotContainKey(poison);
    assertThat(deliveries.get("task-10")).as("nacked once, then acked").isEqualTo(2);
    assertThat(deliveries.get("task-11")).isEqualTo(1);
    for (QueueConsumer consumer : consumers) {
      assertThat(consumer.receive(10, Duration.ofMillis(300))).as("nothing left but the dead letter").isEmpty();
    }

    QueueGroupInfo info = client.admin().describeQueueGroup("workers");
    assertThat(info.topic()).isEqualTo(TOPIC);
    assertThat(info.policy().getMaxDeliveries()).isEqualTo(3);
    assertThat(info.partitions()).hasSize(2).allMatch(QueueGroupInfo.Partition::known);
    assertThat(sum(info, QueueGroupInfo.Partition::acked)).isEqualTo(RECORDS - 1);
    assertThat(sum(info, QueueGroupInfo.Partition::dead)).isEqualTo(1);
    assertThat(sum(info, QueueGroupInfo.Partition::deadLettered)).isEqualTo(1);
    assertThat(sum(info, QueueGroupInfo.Partition::inFlight)).isZero();
    assertThat(sum(info, QueueGroupInfo.Partition::redelivered)).as("the nacked ones").isGreaterThanOrEqualTo(20);

    List<DeadLetterRecord> dead = client.admin().deadLetters("workers", 10);
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).record().valueAsString()).isEqualTo(poison);
    assertThat(dead.get(0).reason()).isEqualTo("REJECTED");
    assertThat(dead.get(0).lastError()).isEqualTo("cannot parse");

    // The others go, or their streams, still granted credit, could take the redriven record.
    QueueConsumer last = consumers.get(0);
    consumers.subList(1, consumers.size()).forEach(QueueConsumer::close);
    assertThat(client.admin().redriveDeadLetters("workers")).isEqualTo(1);
    List<QueuedRecord> again = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> again.addAll(last.receive(10, Duration.ofMillis(200))));
    assertThat(again).singleElement().satisfies(r -> {
      assertThat(r.record().valueAsString()).isEqualTo(poison);
      assertThat(r.deliveries()).as("counted afresh").isEqualTo(1);
    });
    assertThat(last.ack(again.get(0))).isEqualTo(SettleOutcome.SETTLED);
    QueueGroupInfo after = client.admin().describeQueueGroup("workers");
    assertThat(sum(after, QueueGroupInfo.Partition::dead)).isZero();
    assertThat(sum(after, QueueGroupInfo.Partition::acked)).isEqualTo(RECORDS);
    assertThat(client.admin().deadLetters("workers", 10)).isEmpty();
    last.close();
  }

  @Test
  void aLeaseNobodySettlesEndsOnAnIdlePartition() {
    client.admin().createQueueGroup("forgetful", TOPIC, QueuePolicy.newBuilder().setLeaseMs(500).build());
    QueueConsumer holder = client.queueConsumer("forgetful", TOPIC);
    List<QueuedRecord> held = holder.receive(1, Duration.ofSeconds(10));
    assertThat(held).hasSize(1);
    // Leased ahead: the one received, and up to one more per other partition.
    long leased = sum(client.admin().describeQueueGroup("forgetful"), QueueGroupInfo.Partition::inFlight);
    assertThat(leased).isBetween(1L, 2L);
    // Nobody receives from the group again: the partition's leader must end the leases itself.
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      QueueGroupInfo info = client.admin().describeQueueGroup("forgetful");
      assertThat(sum(info, QueueGroupInfo.Partition::inFlight)).isZero();
      assertThat(sum(info, QueueGroupInfo.Partition::waiting)).isEqualTo(leased);
    });
    assertThat(holder.ack(held.get(0))).as("the work was done after all").isEqualTo(SettleOutcome.LATE_ACK_ACCEPTED);
    holder.close();
  }

  @Test
  void ackAllSettlesEachPartitionsRecordsInOneCall() {
    client.admin().createQueueGroup("batch", TOPIC, QueuePolicy.getDefaultInstance());
    try (QueueConsumer consumer = client.queueConsumer("batch", TOPIC)) {
      List<QueuedRecord> received = new ArrayList<>();
      // Small receives: each starts at the partition after the last one asked, so both contribute
      // however unevenly the producer spread the records.
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        received.addAll(consumer.receive(Math.min(10, 100 - received.size()), Duration.ofMillis(200)));
        return received.size() == 100;
      });
      assertThat(received).extracting(r -> r.record().partition()).as("from both partitions").contains(0, 1);
      assertThat(consumer.ackAll(received)).hasSize(100).containsOnly(SettleOutcome.SETTLED);
      assertThat(consumer.ackAll(received.subList(0, 3))).as("again").containsOnly(SettleOutcome.ALREADY_DONE);
    }
    assertThat(sum(client.admin().describeQueueGroup("batch"), QueueGroupInfo.Partition::acked)).isEqualTo(100);
  }

  /**
   * Async acks let a consumer receive on while they commit; close waits for their answers, so
   * every record is acked once and none is handed back.
   */
  @Test
  void asyncAcksCommitWhileTheConsumerReceivesOn() {
    client.admin().createQueueGroup("async", TOPIC, QueuePolicy.getDefaultInstance());
    List<CompletableFuture<List<SettleOutcome>>> answers = new ArrayList<>();
    try (QueueConsumer consumer = client.queueConsumer("async", TOPIC)) {
      int[] received = {0};
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        List<QueuedRecord> batch = consumer.receive(25, Duration.ofMillis(200));
        received[0] += batch.size();
        if (!batch.isEmpty()) {
          answers.add(consumer.ackAllAsync(batch));
        }
        return received[0] == RECORDS;
      });
    } // close right after the last ack went out
    assertThat(answers).allSatisfy(answer -> assertThat(answer).isCompleted());
    assertThat(answers.stream().flatMap(answer -> answer.join().stream())).containsOnly(SettleOutcome.SETTLED);
    QueueGroupInfo info = client.admin().describeQueueGroup("async");
    assertThat(sum(info, QueueGroupInfo.Partition::acked)).isEqualTo(RECORDS);
    assertThat(sum(info, QueueGroupInfo.Partition::inFlight) + sum(info, QueueGroupInfo.Partition::waiting))
        .as("none left leased or handed back").isZero();
  }

  /**
   * A consumer that crashes (stops without settling or releasing) between processing and acking
   * leaves the record to another consumer once its lease ends; one that acked on receipt does not.
   */
  @Test
  void ackAfterProcessingRedeliversOnACrashAndAckOnReceiptDoesNot() {
    client.admin().createQueueGroup("guarantees", TOPIC,
        QueuePolicy.newBuilder().setLeaseMs(500).build());
    QueueConsumer atLeastOnce = client.queueConsumer("guarantees", TOPIC);
    QueueConsumer atMostOnce = client.queueConsumer("guarantees", TOPIC);
    QueuedRecord processedNotAcked = atLeastOnce.receive(1, Duration.ofSeconds(10)).get(0);
    QueuedRecord ackedNotProcessed = atMostOnce.receive(1, Duration.ofSeconds(10)).get(0);
    assertThat(atMostOnce.ack(ackedNotProcessed)).isEqualTo(SettleOutcome.SETTLED);
    // Both crash here: neither settles nor closes.

    Map<String, Integer> seen = new TreeMap<>();
    try (QueueConsumer survivor = client.queueConsumer("guarantees", TOPIC)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        List<QueuedRecord> batch = survivor.receive(100, Duration.ofMillis(200));
        batch.forEach(r -> seen.merge(r.record().valueAsString(), r.deliveries(), Math::max));
        survivor.ackAll(batch);
        return seen.size() == RECORDS - 1;
      });
    }
    assertThat(seen).as("the unacked record again, on its second delivery")
        .containsEntry(processedNotAcked.record().valueAsString(), 2);
    assertThat(seen).as("the record acked on receipt, never again")
        .doesNotContainKey(ackedNotProcessed.record().valueAsString());
  }

  /**
   * A partition whose only replica is down holds back neither a receive (each returns within its
   * wait) nor the other partitions' records (all of them arrive, and only them).
   */
  @Test
  void aReceivePassesOverAPartitionWithoutALeader() {
    client.admin().createTopic("solo", 3, 1);
    awaitLeaders(client, "solo");
    try (Producer producer = client.producer()) {
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        sent.add(producer.send(ProducerRecord.of("solo", "solo-" + i).withPartition(i % 3)));
      }
      sent.forEach(CompletableFuture::join);
    }
    createQueueGroup(client, "soloists", "solo", QueuePolicy.getDefaultInstance());
    int down = client.admin().describeTopic("solo").partitions().get(1).leader();
    cluster.kill(down);
    try (QueueConsumer consumer = client.queueConsumer("soloists", "solo")) {
      Map<Integer, Integer> perPartition = new TreeMap<>();
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        long start = System.nanoTime();
        List<QueuedRecord> received = consumer.receive(1_000, Duration.ofSeconds(1));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not held up for a request timeout")
            .isLessThan(Duration.ofSeconds(15));
        received.forEach(r -> perPartition.merge(r.record().partition(), 1, Integer::sum));
        consumer.ackAll(received);
        return perPartition.values().stream().mapToInt(Integer::intValue).sum() >= 20;
      });
      assertThat(perPartition).as("every record of the partitions with a leader, none other")
          .isEqualTo(Map.of(0, 10, 2, 10));
    } finally {
      cluster.start(down);
      awaitLeaders(client, "solo");
    }
  }

  private static long sum(QueueGroupInfo info, ToLongFunction<QueueGroupInfo.Partition> count) {
    return info.partitions().stream().mapToLong(count).sum();
  }
}
