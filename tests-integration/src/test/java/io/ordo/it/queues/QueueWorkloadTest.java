package io.ordo.it.queues;

import static io.ordo.it.cluster.ClusterChecks.produceAll;
import static io.ordo.it.cluster.ClusterChecks.createQueueGroup;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.DeadLetterRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.ProducerRecord;
import io.ordo.client.QueueConsumer;
import io.ordo.client.QueueGroupInfo;
import io.ordo.client.QueuedRecord;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.it.cluster.ProcessCluster;
import io.ordo.proto.v1.QueueMode;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.SettleOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Queue groups under load on a real cluster: five workers on two partitions process every record
 * while they nack at random, crash (stop without settling or releasing what they hold) and the
 * leader of a partition is killed; and a key-ordered group with a poison key.
 */
class QueueWorkloadTest {
  private static final String TOPIC = "jobs";
  private static final int RECORDS = 10_000;
  private static final int KEYS = 20;
  private static final String POISON = "job-3";
  private static final int WORKERS = 5;
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of());

  private static ProcessCluster cluster;
  private static OrdoClient client;

  @BeforeAll
  static void start() {
    cluster = CLUSTER.processes();
    client = CLUSTER.client();
    CLUSTER.createTopic(TOPIC, 2);
    produceAll(client, IntStream.range(0, RECORDS).mapToObj(i -> ProducerRecord.of(TOPIC, "k" + (i % KEYS), "job-" + i)).toList());
    createQueueGroup(client, "probe", TOPIC, QueuePolicy.getDefaultInstance());
  }

  /** What the workers saw: per record ("partition@offset"), how its settlements went. */
  private static final class Outcomes {
    /** Acks the group accepted as the one that finished the record (SETTLED, LATE_ACK_ACCEPTED). */
    final Map<String, AtomicInteger> accepted = new ConcurrentHashMap<>();
    /** Records some ack reported done (ALREADY_DONE too: a retry whose first try was applied). */
    final Set<String> done = ConcurrentHashMap.newKeySet();
    final AtomicInteger crashes = new AtomicInteger();

    void acked(QueuedRecord r, SettleOutcome outcome) {
      String id = id(r);
      if (outcome == SettleOutcome.SETTLED || outcome == SettleOutcome.LATE_ACK_ACCEPTED) {
        accepted.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        done.add(id);
      } else if (outcome == SettleOutcome.ALREADY_DONE) {
        done.add(id);
      }
    }
  }

  private static String id(QueuedRecord r) {
    return r.record().partition() + "@" + r.record().offset();
  }

  @Test
  void fiveWorkersFinishEveryRecordThroughNacksCrashesAndALeaderKill() throws Exception {
    String group = "workers";
    client.admin().createQueueGroup(group, TOPIC,
        QueuePolicy.newBuilder().setMaxDeliveries(4).setLeaseMs(2_000).addBackoffMs(100).build());
    Outcomes outcomes = new Outcomes();
    AtomicBoolean over = new AtomicBoolean();
    try (Workers workers = Workers.start(over, () -> work(group, outcomes, over, 0.1, 0.002))) {
      await().atMost(Duration.ofSeconds(120)).until(() -> outcomes.done.size() >= RECORDS / 3);
      int leader = client.admin().describeTopic(TOPIC).partitions().get(0).leader();
      cluster.kill(leader);
      await().atMost(Duration.ofSeconds(120)).until(() -> outcomes.done.size() >= 2 * RECORDS / 3);
      cluster.start(leader);
      await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(1)).until(() -> finished(group));
    }

    QueueGroupInfo info = client.admin().describeQueueGroup(group);
    List<DeadLetterRecord> dead = client.admin().deadLetters(group, RECORDS);
    Set<String> deadIds = new HashSet<>();
    dead.forEach(d -> deadIds.add(d.record().partition() + "@" + d.record().offset()));
    assertThat(dead).allSatisfy(d -> assertThat(d.deliveries()).isEqualTo(4));
    assertThat(outcomes.accepted.values()).as("no record finished twice").allMatch(n -> n.get() == 1);
    assertThat(deadIds).as("dead-lettered records were never finished").doesNotContainAnyElementsOf(outcomes.done);
    assertThat(outcomes.done.size() + deadIds.size()).as("every record acked or dead-lettered").isEqualTo(RECORDS);
    assertThat(info.partitions().stream().mapToLong(QueueGroupInfo.Partition::acked).sum())
        .as("the group's own count").isEqualTo(outcomes.done.size());
    assertThat(outcomes.crashes.get()).as("workers crashed").isPositive();
  }

  @Test
  void aKeyOrderedGroupKeepsEachKeysOrderAndAPoisonRecordHoldsBackOnlyItsKey() throws Exception {
    String group = "ordered";
    client.admin().createQueueGroup(group, TOPIC, QueuePolicy.newBuilder()
        .setMode(QueueMode.QUEUE_MODE_KEY_ORDERED)
        .setMaxDeliveries(3)
        .addBackoffMs(500)
        .build());
    // Noted before each settlement is sent: the next record of the key may be delivered as soon as
    // it is applied, before its answer is back.
    Map<String, List<Long>> ackedByKey = new ConcurrentHashMap<>();
    Map<String, String> holder = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    AtomicInteger poisonDeliveries = new AtomicInteger();
    AtomicBoolean over = new AtomicBoolean();
    Callable<Void> keepOrder = () -> {
      try (QueueConsumer consumer = client.queueConsumer(group, TOPIC)) {
        while (!over.get()) {
          for (QueuedRecord r : consumer.receive(20, Duration.ofMillis(200))) {
            String key = r.record().keyAsString();
            String held = holder.putIfAbsent(key, consumer.consumerId() + " has " + r.record().offset());
            if (held != null) {
              violations.add(key + " delivered at " + r.record().offset() + " while " + held);
            }
            if (r.record().valueAsString().equals(POISON)) {
              poisonDeliveries.incrementAndGet();
              holder.remove(key);
              consumer.nack(r, Duration.ZERO, "cannot process");
              continue;
            }
            if (key.equals("k3") && poisonDeliveries.get() < 3) {
              violations.add("k3's record at " + r.record().offset() + " delivered before the poison was dead");
            }
            ackedByKey.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>())).add(r.record().offset());
            holder.remove(key);
            // ALREADY_DONE is an ack's success too: the client repeats a settlement whose stream
            // ended before it answered, and the first try may have been applied.
            SettleOutcome outcome = consumer.ack(r);
            if (outcome != SettleOutcome.SETTLED && outcome != SettleOutcome.ALREADY_DONE) {
              violations.add(key + "'s record at " + r.record().offset() + " acked: " + outcome);
            }
          }
        }
      }
      return null;
    };
    try (Workers workers = Workers.start(over, keepOrder)) {
      await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(1)).until(() -> finished(group));
    }
    assertThat(violations).as("order violations").isEmpty();
    assertThat(poisonDeliveries.get()).isEqualTo(3);
    assertThat(ackedByKey).hasSize(KEYS);
    ackedByKey.forEach((key, offsets) -> assertThat(offsets).as(key).isSorted().doesNotHaveDuplicates()
        .hasSize(key.equals("k3") ? RECORDS / KEYS - 1 : RECORDS / KEYS));
    assertThat(client.admin().deadLetters(group, 10)).singleElement()
        .satisfies(d -> assertThat(d.record().valueAsString()).isEqualTo(POISON));
  }

  /** {@link #WORKERS} threads running one piece of work; closing sets {@code over} and waits for them. */
  private record Workers(AtomicBoolean over, ExecutorService pool, List<Future<Void>> running) implements AutoCloseable {
    static Workers start(AtomicBoolean over, Callable<Void> work) {
      ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
      List<Future<Void>> running = new ArrayList<>();
      for (int w = 0; w < WORKERS; w++) {
        running.add(pool.submit(work));
      }
      return new Workers(over, pool, running);
    }

    /** Rethrows what a worker threw. */
    @Override
    public void close() throws Exception {
      over.set(true);
      for (Future<Void> w : running) {
        w.get();
      }
      pool.shutdown();
    }
  }

  /** A worker: receives, nacks some, acks the rest; now and then crashes, and a new one starts. */
  private static Void work(String group, Outcomes outcomes, AtomicBoolean over, double nackRatio, double crashRatio) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    QueueConsumer consumer = client.queueConsumer(group, TOPIC);
    while (!over.get()) {
      List<QueuedRecord> received;
      try {
        received = consumer.receive(20, Duration.ofMillis(200));
      } catch (OrdoException e) {
        continue; // a leader change: the leases, if any were taken, end on their own
      }
      for (QueuedRecord r : received) {
        if (random.nextDouble() < crashRatio) {
          // Stops without settling or releasing: its leases end on their own.
          outcomes.crashes.incrementAndGet();
          consumer = client.queueConsumer(group, TOPIC);
          break;
        }
        if (random.nextDouble() < nackRatio) {
          try {
            consumer.nack(r, Duration.ZERO, "try again");
          } catch (OrdoException e) {
            // Nacked or not, it is delivered again.
          }
        } else {
          outcomes.acked(r, ackSurely(consumer, r));
        }
      }
    }
    consumer.close();
    return null;
  }

  /** Acks, again after an error: an ack applied whose answer was lost then answers ALREADY_DONE. */
  private static SettleOutcome ackSurely(QueueConsumer consumer, QueuedRecord r) {
    for (int attempt = 1; ; attempt++) {
      try {
        return consumer.ack(r);
      } catch (OrdoException e) {
        if (attempt == 10) {
          throw e;
        }
      }
    }
  }

  /** Every record of the group acked or dead-lettered, nothing in flight. */
  private static boolean finished(String group) {
    QueueGroupInfo info = client.admin().describeQueueGroup(group);
    long acked = 0;
    long dead = 0;
    for (QueueGroupInfo.Partition p : info.partitions()) {
      if (p.inFlight() + p.waiting() + p.blocked() + p.backlog() > 0) {
        return false;
      }
      acked += p.acked();
      dead += p.dead();
    }
    return acked + dead == RECORDS;
  }
}
