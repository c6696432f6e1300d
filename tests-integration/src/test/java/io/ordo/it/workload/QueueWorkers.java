package io.ordo.it.workload;

import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.QueueConsumer;
import io.ordo.client.QueueGroupInfo;
import io.ordo.client.QueuedRecord;
import io.ordo.it.cluster.ClusterChecks;
import io.ordo.it.history.QueueEvent;
import io.ordo.proto.v1.QueueMode;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.SettleOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A key-ordered queue group at work: a feeder writes keyed records to a topic of their own, and
 * workers receive them, ack most, nack some, and now and then crash (stop without settling or
 * releasing what they hold; a new worker takes the place). Every receipt and every settlement is
 * recorded as a {@link QueueEvent}. At the end the workers drain the queue: they go on until the
 * group has finished every record, or the drain's time is up.
 */
public final class QueueWorkers implements AutoCloseable {
  public static final String TOPIC = "jepsen-queue";
  public static final String GROUP = "jepsen-workers";
  public static final int PARTITIONS = 2;
  public static final int MAX_DELIVERIES = 5;
  private static final int KEYS = 16;
  private static final int RATE = 50;
  private static final double NACK_RATIO = 0.05;
  /** Records rejected outright: dead letters, which the group exports to its dead-letter topic. */
  private static final double REJECT_RATIO = 0.005;
  private static final double CRASH_RATIO = 0.005;
  private static final Duration RECEIVE_WAIT = Duration.ofMillis(200);

  private final ClientThreads feeder;
  private final ClientThreads workers;
  private final int count;
  private final int firstProcess;
  private final LongSupplier clock;
  private final long seed;
  private final ConcurrentLinkedQueue<QueueEvent> events = new ConcurrentLinkedQueue<>();

  /** {@code count} workers, numbered from {@code firstProcess} on; {@code clock} gives event times. */
  public QueueWorkers(Supplier<OrdoClient.Builder> clients, int count, int firstProcess, LongSupplier clock, long seed) {
    this.feeder = new ClientThreads(clients, Duration.ofSeconds(30));
    this.workers = new ClientThreads(clients, Duration.ofSeconds(30));
    this.count = count;
    this.firstProcess = firstProcess;
    this.clock = clock;
    this.seed = seed;
  }

  /** The key of the feeder's record {@code value} ("q-<n>"). */
  public static String keyOf(String value) {
    return "k" + Long.parseLong(value.substring(2)) % KEYS;
  }

  /** Creates the topic and the group; call before the faults begin. */
  public static void create(OrdoClient admin) {
    admin.admin().createTopic(TOPIC, PARTITIONS, 3);
    QueuePolicy policy = QueuePolicy.newBuilder()
        .setMode(QueueMode.QUEUE_MODE_KEY_ORDERED)
        .setMaxDeliveries(MAX_DELIVERIES)
        .setLeaseMs(3_000)
        .addBackoffMs(200)
        .build();
    ClusterChecks.createQueueGroup(admin, GROUP, TOPIC, policy);
  }

  public void start() {
    feeder.start("queue-feeder", client -> {
      long intervalNanos = TimeUnit.SECONDS.toNanos(1) / RATE;
      long next = System.nanoTime();
      try (Producer producer = client.producer()) {
        for (long n = 0; feeder.running(); n++) {
          String value = "q-" + n;
          // Unrecorded: the final read of the topic says what was written.
          producer.send(ProducerRecord.of(TOPIC, keyOf(value), value));
          next += intervalNanos;
          LockSupport.parkNanos(next - System.nanoTime());
        }
      }
    });
    for (int w = 0; w < count; w++) {
      int process = firstProcess + w;
      Random random = new Random(seed + process);
      workers.start("queue-worker-" + process, client -> work(process, client, random));
    }
  }

  private void work(int process, OrdoClient client, Random random) {
    QueueConsumer consumer = client.queueConsumer(GROUP, TOPIC);
    while (workers.running()) {
      List<QueuedRecord> received;
      try {
        received = consumer.receive(20, RECEIVE_WAIT);
      } catch (OrdoException e) {
        // If records were leased, their leases end and they are delivered again.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        continue;
      }
      long at = clock.getAsLong();
      received.forEach(r -> events.add(QueueEvent.received(process, r, at)));
      List<QueuedRecord> toAck = new ArrayList<>();
      for (QueuedRecord r : received) {
        if (random.nextDouble() < CRASH_RATIO) {
          toAck.clear(); // crashed before acking what it processed: all of it is delivered again
          consumer = client.queueConsumer(GROUP, TOPIC);
          break;
        }
        double roll = random.nextDouble();
        if (roll < NACK_RATIO + REJECT_RATIO) {
          boolean reject = roll < REJECT_RATIO;
          QueueEvent.Kind kind = reject ? QueueEvent.Kind.REJECT : QueueEvent.Kind.NACK;
          long invoked = clock.getAsLong();
          try {
            SettleOutcome outcome = reject ? consumer.reject(r, "poison") : consumer.nack(r, Duration.ZERO, "nack");
            events.add(QueueEvent.settled(process, kind, r, invoked, clock.getAsLong(), outcome));
          } catch (OrdoException e) {
            events.add(QueueEvent.settled(process, kind, r, invoked, clock.getAsLong(), null));
          }
        } else {
          toAck.add(r);
        }
      }
      if (!toAck.isEmpty()) {
        ackAll(process, consumer, toAck);
      }
    }
    consumer.close();
  }

  /** Acks in one call per partition, recording each record's outcome (null for all if the call failed). */
  private void ackAll(int process, QueueConsumer consumer, List<QueuedRecord> records) {
    long invoked = clock.getAsLong();
    List<SettleOutcome> outcomes;
    try {
      outcomes = consumer.ackAll(records);
    } catch (OrdoException e) {
      outcomes = null;
    }
    long end = clock.getAsLong();
    for (int i = 0; i < records.size(); i++) {
      events.add(QueueEvent.settled(
          process, QueueEvent.Kind.ACK, records.get(i), invoked, end, outcomes == null ? null : outcomes.get(i)));
    }
  }

  /** Stops writing. */
  public void stopFeeding() {
    feeder.close();
  }

  /**
   * Lets the workers run until the group has finished every record of the topic (acked or
   * dead-lettered, nothing leased, waiting or unread) and exported every dead letter; true if
   * finished. False if the group finished nothing for {@code stall} (a record no worker can get:
   * what this looks for), or after {@code limit} however it goes. A key-ordered backlog drains at
   * one record per key per round trip, and a worker's crash holds its keys a lease time, so
   * progress, not a fixed time, tells a stall from slowness.
   */
  public boolean drain(OrdoClient admin, Duration stall, Duration limit) throws InterruptedException {
    long start = System.nanoTime();
    long progressAt = start;
    long fewest = Long.MAX_VALUE;
    QueueGroupInfo last = null;
    while (System.nanoTime() - start < limit.toNanos() && System.nanoTime() - progressAt < stall.toNanos()) {
      try {
        last = admin.admin().describeQueueGroup(GROUP);
        long unfinished = unfinished(last);
        if (unfinished == 0) {
          return true;
        }
        if (unfinished > 0 && unfinished < fewest) {
          fewest = unfinished;
          progressAt = System.nanoTime();
        }
      } catch (OrdoException e) {
        // A leader not back yet: ask again.
      }
      TimeUnit.MILLISECONDS.sleep(500);
    }
    // What was left, per partition (leased, waiting for a retry, blocked behind a key, never delivered).
    System.out.printf("queue group %s not drained after %d s (the last %d s without progress); last described as %s%n",
        GROUP, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - progressAt), last);
    return false;
  }

  /** Records not finished yet; -1 while a partition's leader does not know. */
  private static long unfinished(QueueGroupInfo info) {
    if (!info.partitions().stream().allMatch(QueueGroupInfo.Partition::known)) {
      return -1;
    }
    return info.partitions().stream()
        .mapToLong(p -> p.inFlight() + p.waiting() + p.blocked() + p.backlog() + p.unexported())
        .sum();
  }

  public List<QueueEvent> events() {
    return List.copyOf(events);
  }

  @Override
  public void close() {
    feeder.close();
    workers.close();
  }
}
