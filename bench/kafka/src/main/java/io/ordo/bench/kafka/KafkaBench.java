package io.ordo.bench.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import io.ordo.cli.PacedSends;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka side of bench/compare-kafka.sh, measuring as {@code ordo bench} does and printing the
 * same lines, so one script reads both: throughput over the measured records only (after a
 * warm-up), and latency to the acknowledgement from each record's send, or with a rate from when
 * it was due (no coordinated omission), sent as Ordo's are, by {@link PacedSends}: the warm-up and
 * the measured records one paced flow.
 *
 * <pre>
 * create-topic BOOTSTRAP TOPIC PARTITIONS REPLICATION_FACTOR
 * await-leaders BOOTSTRAP TOPIC TIMEOUT_SECONDS
 * produce BOOTSTRAP TOPIC RECORDS RECORD_SIZE RATE WARMUP_RECORDS
 * consume BOOTSTRAP TOPIC RECORDS
 * </pre>
 */
public final class KafkaBench {
  private static final double MIB = 1024 * 1024;

  private KafkaBench() {}

  public static void main(String[] args) throws Exception {
    switch (args.length == 0 ? "" : args[0]) {
      case "create-topic" -> createTopic(args[1], args[2], Integer.parseInt(args[3]), Short.parseShort(args[4]));
      case "await-leaders" -> System.exit(awaitLeaders(args[1], args[2], Long.parseLong(args[3])));
      case "produce" -> System.exit(produce(
          args[1], args[2], Long.parseLong(args[3]), Integer.parseInt(args[4]), Long.parseLong(args[5]),
          Long.parseLong(args[6])));
      case "consume" -> consume(args[1], args[2], Long.parseLong(args[3]));
      default -> {
        System.err.println("usage: create-topic|await-leaders|produce|consume ... (see the class comment)");
        System.exit(2);
      }
    }
  }

  /** min.insync.replicas 2 with acks=all: a write is acknowledged once a majority has it, as in Ordo. */
  private static void createTopic(String bootstrap, String topic, int partitions, short replicationFactor) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, replicationFactor)
          .configs(Map.of("min.insync.replicas", "2")))).all().get();
    }
  }

  /** 0 once every partition of the topic has a leader, 1 if some still had none at the deadline. */
  private static int awaitLeaders(String bootstrap, String topic, long timeoutSeconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      while (true) {
        TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        if (description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          return 0;
        }
        if (System.nanoTime() > deadline) {
          return 1;
        }
        Thread.sleep(200);
      }
    }
  }

  private static int produce(String bootstrap, String topic, long records, int recordSize, long rate, long warmup) {
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
    config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    // Distinct random values, as `ordo bench produce` sends: the same 4,096 at most, 64 MiB at most.
    byte[][] values = new byte[(int) Math.max(2, Math.min(4096, (64L << 20) / Math.max(1, recordSize)))][recordSize];
    SplittableRandom random = new SplittableRandom();
    for (byte[] value : values) {
      random.nextBytes(value);
    }
    PacedSends.Tally warmupTally = new PacedSends.Tally();
    PacedSends.Tally measured = new PacedSends.Tally();
    long[] start = new long[1];
    long end;
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      PacedSends.run(
          warmup,
          records,
          rate,
          warmupTally,
          measured,
          (i, due, tally) -> producer.send(
              new ProducerRecord<>(topic, values[(int) (i % values.length)]),
              (metadata, error) -> tally.answered(due, error)),
          () -> start[0] = System.nanoTime());
      producer.flush();
      end = System.nanoTime();
    }
    double seconds = (end - start[0]) / 1e9;
    long acked = measured.acknowledged.sum();
    long failed = warmupTally.failed.sum() + measured.failed.sum();
    System.out.printf("%d records acknowledged (%d failed) in %.2f s: %.1f records/s, %.2f MiB/s%n",
        acked, failed, seconds, acked / seconds, acked * (double) recordSize / MIB / seconds);
    Histogram micros = measured.latencyMicros.getIntervalHistogram();
    System.out.printf("latency ms%s p50 %.2f, p99 %.2f, p99.9 %.2f, max %.2f%n",
        rate > 0 ? " from each record's due time:" : ":",
        micros.getValueAtPercentile(50) / 1000.0, micros.getValueAtPercentile(99) / 1000.0,
        micros.getValueAtPercentile(99.9) / 1000.0, micros.getMaxValue() / 1000.0);
    if (failed > 0) {
      Throwable error = warmupTally.firstError.get() != null ? warmupTally.firstError.get() : measured.firstError.get();
      System.err.println("kafka-bench: " + failed + " records were not acknowledged; first error: " + error);
      return 1;
    }
    return 0;
  }

  private static void consume(String bootstrap, String topic, long records) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
    long read = 0;
    long bytes = 0;
    long start;
    long end;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      start = System.nanoTime();
      long lastRecord = start;
      while (read < records && System.nanoTime() - lastRecord < 10_000_000_000L) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          read++;
          bytes += r.value().length + (r.key() == null ? 0 : r.key().length);
          lastRecord = System.nanoTime();
        }
      }
      end = System.nanoTime();
    }
    double seconds = (end - start) / 1e9;
    System.out.printf("%d records (%.2f MiB) read in %.2f s: %.1f records/s, %.2f MiB/s%n",
        read, bytes / MIB, seconds, read / seconds, bytes / MIB / seconds);
  }
}
