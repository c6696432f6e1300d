package io.ordo.cli;

import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.QueueConsumer;
import io.ordo.client.QueuedRecord;
import io.ordo.client.UnknownTopicException;
import io.ordo.proto.v1.QueueMode;
import io.ordo.proto.v1.QueuePolicy;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ordo bench queue}: how fast a queue group's consumers finish records, and how long each takes. */
@Command(
    name = "queue",
    mixinStandardHelpOptions = true,
    description = {
      "Produce --records keyed records to --topic while --consumers consumers of a new queue group"
          + " receive them and ack each one (nacking --nack-ratio of the deliveries, so some records"
          + " are retried and a few dead-lettered), and report the produce rate, the ack rate, and"
          + " the latency from when each record was due to be sent to when its ack was accepted"
          + " (p50, p99, p99.9, max), and the CPU time per 100,000 records finished of this client and"
          + " of the nodes on this host.",
      "With --rate the producer is paced and latency counts from each record's due time, so a"
          + " queue that falls behind shows in the figures (no coordinated omission)."
    })
final class BenchQueue implements Callable<Integer> {
  /** Records one consumer receives per call, at most. */
  private static final int RECEIVE_MAX = 200;
  private static final Duration RECEIVE_WAIT = Duration.ofMillis(100);

  @Mixin GlobalOptions global;

  @Option(names = "--topic", required = true, paramLabel = "T")
  String topic;

  @Option(names = "--records", required = true, paramLabel = "N")
  long records;

  @Option(names = "--record-size", paramLabel = "B", defaultValue = "1024", description = "Value bytes (default: ${DEFAULT-VALUE}).")
  int recordSize;

  @Option(names = "--partitions", paramLabel = "P", description = "Create the topic with P partitions if it does not exist.")
  Integer partitions;

  @Option(names = "--consumers", paramLabel = "C", defaultValue = "4", description = "Consumers, one thread each (default: ${DEFAULT-VALUE}).")
  int consumers;

  @Option(
      names = "--nack-ratio",
      paramLabel = "R",
      defaultValue = "0",
      description = "Share of deliveries nacked, 0 to 1 (default: ${DEFAULT-VALUE}); nacked records come back after 100 ms.")
  double nackRatio;

  @Option(names = "--mode", paramLabel = "shared|key-ordered", defaultValue = "shared", description = "The group's mode (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(names = "--keys", paramLabel = "K", defaultValue = "1000", description = "Distinct keys (default: ${DEFAULT-VALUE}).")
  int keys;

  @Option(
      names = "--max-deliveries",
      paramLabel = "M",
      defaultValue = "3",
      description = "The group's delivery limit: a record nacked M times is dead-lettered (default: ${DEFAULT-VALUE}).")
  int maxDeliveries;

  @Option(names = "--rate", paramLabel = "R", defaultValue = "0", description = "Records per second; 0 for as fast as possible (default).")
  long rate;

  @Option(
      names = "--produce-first",
      description = "Produce every record before the consumers start, so each rate is measured alone: the"
          + " finish rate then counts from the consumers' start (latency still from each record's due time).")
  boolean produceFirst;

  @Option(
      names = "--timeout-ms",
      paramLabel = "MS",
      defaultValue = "30000",
      description = "Give up when no record was finished for this long (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  @Override
  public Integer call() throws Exception {
    if (records <= 0 || recordSize < Long.BYTES || consumers < 1 || keys < 1 || rate < 0 || timeoutMs <= 0) {
      throw global.usageError("--records, --consumers, --keys and --timeout-ms must be positive, --rate not negative,"
          + " and --record-size at least " + Long.BYTES + " (the due time travels in the value)");
    }
    if (nackRatio < 0 || nackRatio >= 1) {
      throw global.usageError("--nack-ratio must be at least 0 and below 1");
    }
    QueueMode queueMode = switch (mode) {
      case "shared" -> QueueMode.QUEUE_MODE_SHARED;
      case "key-ordered" -> QueueMode.QUEUE_MODE_KEY_ORDERED;
      default -> throw global.usageError("--mode must be shared or key-ordered, not '" + mode + "'");
    };
    String group = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    Recorder latencyMicros = new Recorder(3);
    LongAdder finished = new LongAdder();
    LongAdder nacks = new LongAdder();
    LongAdder dead = new LongAdder();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long start = System.nanoTime();
    long produced;
    long lastFinished;
    try (OrdoClient client = global.connect()) {
      if (partitions != null) {
        try {
          client.admin().describeTopic(topic);
        } catch (UnknownTopicException e) {
          client.admin().createTopic(topic, partitions, 3);
        }
      }
      client.admin().createQueueGroup(group, topic, QueuePolicy.newBuilder()
          .setMode(queueMode)
          .setMaxDeliveries(maxDeliveries)
          .addBackoffMs(100)
          .build());
      List<Thread> threads = new ArrayList<>();
      AtomicBoolean stop = new AtomicBoolean();
      for (int c = 0; c < consumers; c++) {
        Thread t = new Thread(() -> {
          SplittableRandom random = new SplittableRandom();
          try (QueueConsumer consumer = client.queueConsumer(group, topic)) {
            while (!stop.get() && finished.sum() < records) {
              List<QueuedRecord> toAck = new ArrayList<>();
              List<QueuedRecord> toNack = new ArrayList<>();
              for (QueuedRecord r : consumer.receive(RECEIVE_MAX, RECEIVE_WAIT)) {
                (random.nextDouble() < nackRatio ? toNack : toAck).add(r);
              }
              // Settled without waiting, as a consumer that processes while its acks commit would.
              if (!toNack.isEmpty()) {
                consumer.nackAllAsync(toNack, Duration.ZERO, "bench").whenComplete((outcomes, error) -> {
                  if (error != null) {
                    failure.compareAndSet(null, OrdoCli.unwrap(error));
                    return;
                  }
                  nacks.add(toNack.size());
                  long atLimit = toNack.stream().filter(r -> r.deliveries() >= maxDeliveries).count();
                  dead.add(atLimit);
                  finished.add(atLimit);
                });
              }
              if (!toAck.isEmpty()) {
                consumer.ackAllAsync(toAck).whenComplete((outcomes, error) -> {
                  if (error != null) {
                    failure.compareAndSet(null, OrdoCli.unwrap(error));
                    return;
                  }
                  long now = System.nanoTime();
                  for (QueuedRecord r : toAck) {
                    latencyMicros.recordValue(Math.max(0, now - ByteBuffer.wrap(r.record().value()).getLong()) / 1000);
                  }
                  finished.add(toAck.size());
                });
              }
            }
          } catch (OrdoException e) {
            failure.compareAndSet(null, e);
          }
        }, "ordo-bench-consumer-" + c);
        t.setDaemon(true);
        threads.add(t);
      }
      CpuUse cpuAtStart = CpuUse.sample();
      if (!produceFirst) {
        threads.forEach(Thread::start);
      }
      produced = produce(client);
      double produceSeconds = (System.nanoTime() - start) / 1e9;
      global.err().printf("%d records produced in %.2f s: %.1f records/s%n", produced, produceSeconds, produced / produceSeconds);
      long consumersStart = start;
      if (produceFirst) {
        consumersStart = System.nanoTime();
        cpuAtStart = CpuUse.sample();
        threads.forEach(Thread::start);
      }
      lastFinished = awaitFinished(finished, failure);
      CpuUse cpuAtEnd = CpuUse.sample();
      stop.set(true);
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(10));
      }
      printSummary(produced, produceSeconds, finished.sum(), nacks.sum(), dead.sum(), (lastFinished - consumersStart) / 1e9,
          latencyMicros.getIntervalHistogram(), cpuAtEnd, cpuAtStart);
    }
    if (failure.get() != null) {
      throw failure.get() instanceof RuntimeException e ? e : new IllegalStateException(failure.get());
    }
    if (finished.sum() < records) {
      global.err().println("ordo: only " + finished.sum() + " of " + records + " records finished; none for " + timeoutMs + " ms");
      return 1;
    }
    return 0;
  }

  /** Sends every record, each value starting with the time it was due; returns how many were acknowledged. */
  private long produce(OrdoClient client) {
    byte[] padding = new byte[recordSize - Long.BYTES];
    new SplittableRandom().nextBytes(padding);
    List<CompletableFuture<?>> sent = new ArrayList<>();
    try (Producer producer = client.producer()) {
      Pacer pacer = new Pacer(rate);
      for (long i = 0; i < records; i++) {
        long due = pacer.awaitDue(i);
        byte[] value = ByteBuffer.allocate(recordSize).putLong(due).put(padding).array();
        sent.add(producer.send(ProducerRecord.of(topic, ("k" + i % keys).getBytes(), value)));
      }
      producer.flush();
    }
    return sent.stream().filter(f -> !f.isCompletedExceptionally()).count();
  }

  /** Waits until every record is finished, a consumer failed, or none finished for the timeout; returns when the last finished. */
  private long awaitFinished(LongAdder finished, AtomicReference<Throwable> failure) throws InterruptedException {
    long last = System.nanoTime();
    long seen = finished.sum();
    while (seen < records && failure.get() == null && System.nanoTime() - last < TimeUnit.MILLISECONDS.toNanos(timeoutMs)) {
      TimeUnit.MILLISECONDS.sleep(20);
      long now = finished.sum();
      if (now != seen) {
        seen = now;
        last = System.nanoTime();
      }
    }
    return last;
  }

  /** CPU counts from the consumers' start with --produce-first, else from the producer's: then it includes producing. */
  private void printSummary(
      long produced, double produceSeconds, long finished, long nacks, long dead, double seconds, Histogram micros,
      CpuUse cpuAtEnd, CpuUse cpuAtStart) {
    PrintStream out = global.out();
    double produceRate = produced / produceSeconds;
    double finishRate = finished / seconds;
    if (global.json()) {
      JsonWriter json = BenchCommand.latencyMs(new JsonWriter()
          .beginObject()
          .field("mode", mode)
          .field("consumers", consumers)
          .field("records", finished)
          .field("nacks", nacks)
          .field("deadLettered", dead)
          .field("producedPerSecond", produceRate)
          .field("finishedPerSecond", finishRate)
          .field("finishedToProduced", finishRate / produceRate)
          .name("latencyMs"), micros);
      out.println(cpuAtEnd.addSince(json, cpuAtStart, finished).endObject());
      return;
    }
    out.printf("%s queue, %d consumers: %d records finished (%d nacks, %d dead-lettered) in %.2f s: %.1f records/s"
        + " (produced %.1f records/s; ratio %.2f)%n", mode, consumers, finished, nacks, dead, seconds, finishRate,
        produceRate, finishRate / produceRate);
    out.println("due-to-ack latency ms (acked records): " + BenchCommand.latencyMs(micros));
    cpuAtEnd.describeSince(cpuAtStart, finished)
        .ifPresent(cpu -> out.println(cpu + (produceFirst ? " finished" : " produced and finished")));
  }
}
