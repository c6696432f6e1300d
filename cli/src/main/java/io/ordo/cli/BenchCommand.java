package io.ordo.cli;

import io.ordo.client.Consumer;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.Producer;
import io.ordo.client.ProducerConfig;
import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordHandler;
import io.ordo.client.UnknownTopicException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ordo bench produce|consume|queue}: throughput and latency of a running cluster. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the cluster: how many records per second it takes and serves, and how long a"
          + " record takes to be acknowledged.",
      "A progress line goes to stderr every 5 seconds; the summary goes to stdout (a JSON"
          + " object with --output json)."
    },
    subcommands = {BenchCommand.Produce.class, BenchCommand.Consume.class, BenchQueue.class})
final class BenchCommand {
  private static final long PROGRESS_INTERVAL_SECONDS = 5;
  private static final double MIB = 1024 * 1024;
  /** How many distinct values a produce bench sends, and the memory they may take at most. */
  private static final int MAX_DISTINCT_VALUES = 4096;
  private static final long DISTINCT_VALUE_BYTES = 64L << 20;

  private BenchCommand() {}

  @Command(
      name = "produce",
      mixinStandardHelpOptions = true,
      description = {
        "Send --records records of --record-size random bytes to --topic, as fast as the"
            + " producer goes or at --rate records per second, and report throughput, the"
            + " latency percentiles (p50, p99, p99.9, max) and the CPU time per 100,000 records of"
            + " this client and of the nodes on this host.",
        "Latency runs to the acknowledgement from when a record was sent, or with --rate from"
            + " when it was due: a producer that falls behind its schedule shows in the figures"
            + " (no coordinated omission).",
        "With --partitions the topic is created first if it does not exist.",
        "Exits 1 if any record was not acknowledged."
      })
  static final class Produce implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Option(names = "--topic", required = true, paramLabel = "T")
    String topic;

    @Option(names = "--records", required = true, paramLabel = "N")
    long records;

    @Option(names = "--record-size", required = true, paramLabel = "B", description = "Value bytes.")
    int recordSize;

    @Option(
        names = "--partitions",
        paramLabel = "P",
        description = "Create the topic with P partitions if it does not exist.")
    Integer partitions;

    @Option(
        names = "--replication-factor",
        paramLabel = "R",
        defaultValue = "3",
        description = "Replication factor of a topic created here (default: ${DEFAULT-VALUE}).")
    int replicationFactor;

    @Option(
        names = "--rate",
        paramLabel = "R",
        defaultValue = "0",
        description = "Records per second; 0 for as fast as possible (default).")
    long rate;

    @Option(
        names = "--warmup-records",
        paramLabel = "N",
        defaultValue = "0",
        description = "Records sent first, at the same rate and with no pause before the measured ones, and left out of every figure (default: ${DEFAULT-VALUE}).")
    long warmupRecords;

    @Option(
        names = "--batch-bytes",
        paramLabel = "B",
        defaultValue = "524288",
        description = "Producer batch size (default: ${DEFAULT-VALUE}).")
    int batchBytes;

    @Option(
        names = "--linger-ms",
        paramLabel = "MS",
        defaultValue = "5",
        description = "Producer linger (default: ${DEFAULT-VALUE}).")
    long lingerMs;

    @Option(
        names = "--max-in-flight",
        paramLabel = "N",
        defaultValue = "5",
        description = "Producer requests in flight per partition, 1 to 5 (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(
        names = "--max-in-flight-per-node",
        paramLabel = "N",
        defaultValue = "10",
        description = "Producer requests in flight per node, across its partitions (default: ${DEFAULT-VALUE}).")
    int maxInFlightPerNode;

    @Option(
        names = "--report-interval-ms",
        paramLabel = "MS",
        defaultValue = "5000",
        description = "How often progress is printed to stderr, each line that interval's figures (default: ${DEFAULT-VALUE}).")
    long reportIntervalMs;

    @Override
    public Integer call() {
      if (maxInFlight < 1 || maxInFlight > 5) {
        throw global.usageError("--max-in-flight must be 1 to 5");
      }
      if (maxInFlightPerNode < 1) {
        throw global.usageError("--max-in-flight-per-node must be positive");
      }
      if (records <= 0 || recordSize < 0 || rate < 0 || warmupRecords < 0 || reportIntervalMs <= 0) {
        throw global.usageError(
            "--records and --report-interval-ms must be positive, --record-size, --rate and --warmup-records not negative");
      }
      ProducerConfig config =
          ProducerConfig.builder()
              .batchBytes(batchBytes)
              .linger(Duration.ofMillis(lingerMs))
              .maxInFlightPerPartition(maxInFlight)
              .maxInFlightPerNode(maxInFlightPerNode)
              .build();
      byte[][] values = randomValues(recordSize);
      PacedSends.Tally warmup = new PacedSends.Tally();
      PacedSends.Tally measured = new PacedSends.Tally();
      Histogram total = new Histogram(3);
      long[] start = new long[1];
      CpuUse[] cpuAtStart = new CpuUse[1];
      long end;
      CpuUse cpuAtEnd;
      try (OrdoClient client = global.connect()) {
        requireTopic(client);
        ScheduledExecutorService progress = progressReporter();
        // Everything the measured part's start runs has run once before the warm-up: a class the
        // JVM first loads there can void its compiled code (seen: the producer's send path
        // recompiled at the measured part's start, its compilers taking most of a core).
        AtomicReference<PacedSends.Tally> reported = new AtomicReference<>(warmup);
        reportProgress(progress, reported, measured, total);
        CpuUse.sample();
        try (Producer producer = client.producer(config)) {
          PacedSends.run(
              warmupRecords,
              records,
              rate,
              warmup,
              measured,
              (i, due, tally) ->
                  producer
                      .send(ProducerRecord.of(topic, values[(int) (i % values.length)]))
                      .whenComplete((metadata, error) -> tally.answered(due, error)),
              () -> {
                reported.set(measured);
                cpuAtStart[0] = CpuUse.sample();
                start[0] = System.nanoTime();
              });
          producer.flush();
          end = System.nanoTime();
          cpuAtEnd = CpuUse.sample();
        } finally {
          progress.shutdownNow();
        }
      }
      synchronized (total) {
        total.add(measured.latencyMicros.getIntervalHistogram());
      }
      long failed = warmup.failed.sum() + measured.failed.sum();
      printProduceSummary(measured.acknowledged.sum(), failed, (end - start[0]) / 1e9, total, cpuAtEnd, cpuAtStart[0]);
      if (failed > 0) {
        Throwable error = warmup.firstError.get() != null ? warmup.firstError.get() : measured.firstError.get();
        global
            .err()
            .println(
                "ordo: " + failed + " of " + (warmupRecords + records) + " records were not acknowledged;"
                    + " first error: "
                    + OrdoCli.describe(error.getCause() != null ? error.getCause() : error));
        return 1;
      }
      return 0;
    }

    /**
     * Prints, every --report-interval-ms from now, that interval's acknowledged records of the
     * phase {@code reported} holds: their rate and latencies, the warm-up's marked as such; the
     * measured part's latencies also go to {@code total}.
     */
    private void reportProgress(
        ScheduledExecutorService progress, AtomicReference<PacedSends.Tally> reported, PacedSends.Tally measured,
        Histogram total) {
      Histogram window = new Histogram(3);
      PacedSends.Tally[] phase = {reported.get()};
      long[] lastReport = {System.nanoTime(), 0};
      progress.scheduleAtFixedRate(
          () -> {
            long now = System.nanoTime();
            PacedSends.Tally tally = reported.get();
            if (tally != phase[0]) {
              phase[0] = tally;
              lastReport[1] = 0;
            }
            long acked = tally.acknowledged.sum();
            synchronized (total) {
              tally.latencyMicros.getIntervalHistogramInto(window);
              if (tally == measured) {
                total.add(window);
              }
            }
            double seconds = (now - lastReport[0]) / 1e9;
            long count = acked - lastReport[1];
            global
                .err()
                .printf(
                    "%d records acknowledged, %.1f records/s (%.2f MiB/s), %.1f ms avg"
                        + " latency, %.1f ms max latency%s%n",
                    count,
                    count / seconds,
                    count * (double) recordSize / MIB / seconds,
                    window.getMean() / 1000.0,
                    window.getMaxValue() / 1000.0,
                    tally == measured ? "" : " (warm-up)");
            lastReport[0] = now;
            lastReport[1] = acked;
          },
          reportIntervalMs,
          reportIntervalMs,
          TimeUnit.MILLISECONDS);
    }

    /**
     * Distinct random values, sent in turn: one value sent over and over would let the nodes'
     * compression shrink every batch to a fraction of its size, which real records do not allow.
     * Repeats are megabytes apart, beyond any compression window.
     */
    private static byte[][] randomValues(int recordSize) {
      int count = (int) Math.max(2, Math.min(MAX_DISTINCT_VALUES, DISTINCT_VALUE_BYTES / Math.max(1, recordSize)));
      SplittableRandom random = new SplittableRandom();
      byte[][] values = new byte[count][recordSize];
      for (byte[] value : values) {
        random.nextBytes(value);
      }
      return values;
    }

    /**
     * Creates the topic if it does not exist and --partitions asks to, else fails now: not after
     * every record's send timed out waiting for the topic to appear.
     */
    private void requireTopic(OrdoClient client) {
      try {
        client.admin().describeTopic(topic);
      } catch (UnknownTopicException e) {
        if (partitions == null) {
          throw e;
        }
        client.admin().createTopic(topic, partitions, replicationFactor);
      }
    }

    private void printProduceSummary(
        long acked, long failed, double seconds, Histogram micros, CpuUse cpuAtEnd, CpuUse cpuAtStart) {
      double recordsPerSecond = acked / seconds;
      double mibPerSecond = acked * (double) recordSize / MIB / seconds;
      PrintStream out = global.out();
      if (global.json()) {
        JsonWriter json = latencyMs(
            new JsonWriter()
                .beginObject()
                .field("records", acked)
                .field("failed", failed)
                .field("recordSize", recordSize)
                .field("seconds", seconds)
                .field("recordsPerSecond", recordsPerSecond)
                .field("mibPerSecond", mibPerSecond)
                .name("latencyMs"), micros);
        out.println(cpuAtEnd.addSince(json, cpuAtStart, acked).endObject());
        return;
      }
      out.printf(
          "%d records acknowledged (%d failed) in %.2f s: %.1f records/s, %.2f MiB/s%n",
          acked, failed, seconds, recordsPerSecond, mibPerSecond);
      out.println("latency ms" + (rate > 0 ? " from each record's due time: " : ": ") + latencyMs(micros));
      cpuAtEnd.describeSince(cpuAtStart, acked).ifPresent(out::println);
    }
  }

  @Command(
      name = "consume",
      mixinStandardHelpOptions = true,
      description = {
        "Read --records records of --topic from the beginning of every partition and report"
            + " records/s, MiB/s (keys and values) and the CPU time per 100,000 records of this client"
            + " and of the nodes on this host; after --warmup-records read first and left out.",
        "Exits 1 if no record arrives for --timeout-ms before --records were read."
      })
  static final class Consume implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Option(names = "--topic", required = true, paramLabel = "T")
    String topic;

    @Option(names = "--records", required = true, paramLabel = "N")
    long records;

    @Option(
        names = "--warmup-records",
        paramLabel = "N",
        defaultValue = "0",
        description = "Records read first, in the same subscriptions, and left out of every figure: the"
            + " client's compilers warm up on them (default: ${DEFAULT-VALUE}).")
    long warmupRecords;

    @Option(
        names = "--timeout-ms",
        paramLabel = "MS",
        defaultValue = "10000",
        description = "Give up when no record arrived for this long (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Override
    public Integer call() throws InterruptedException {
      if (records <= 0 || timeoutMs <= 0 || warmupRecords < 0) {
        throw global.usageError("--records and --timeout-ms must be positive, --warmup-records not negative");
      }
      // Every record read, warm-up included: one counter, so exactly one reader sees the warm-up end.
      AtomicLong seen = new AtomicLong();
      LongAdder bytes = new LongAdder();
      CountDownLatch finished = new CountDownLatch(1);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicLong lastRecordNanos = new AtomicLong(System.nanoTime());
      AtomicReference<Start> measuredFrom = new AtomicReference<>();
      RecordHandler handler =
          new RecordHandler() {
            @Override
            public void onRecord(ConsumerRecord record) {
              long n = seen.incrementAndGet();
              lastRecordNanos.set(System.nanoTime());
              if (n <= warmupRecords) {
                if (n == warmupRecords) {
                  measuredFrom.set(Start.now());
                }
                return;
              }
              bytes.add(record.value().length + (record.key() == null ? 0 : record.key().length));
              if (n == warmupRecords + records) {
                finished.countDown();
              }
            }

            @Override
            public void onError(Throwable error) {
              failure.compareAndSet(null, error);
              finished.countDown();
            }
          };
      long end;
      long seenAtEnd;
      long bytesAtEnd;
      CpuUse cpuAtEnd;
      try (OrdoClient client = global.connect();
          Consumer consumer = client.consumer()) {
        int partitions = client.admin().describeTopic(topic).partitions().size();
        ScheduledExecutorService progress = progressReporter();
        long[] last = {System.nanoTime(), 0, 0};
        progress.scheduleAtFixedRate(
            () -> {
              long now = System.nanoTime();
              long n = seen.get();
              long b = bytes.sum();
              double seconds = (now - last[0]) / 1e9;
              global
                  .err()
                  .printf(
                      "%d records read, %.1f records/s (%.2f MiB/s)%n",
                      n - last[1], (n - last[1]) / seconds, (b - last[2]) / MIB / seconds);
              last[0] = now;
              last[1] = n;
              last[2] = b;
            },
            PROGRESS_INTERVAL_SECONDS,
            PROGRESS_INTERVAL_SECONDS,
            TimeUnit.SECONDS);
        try {
          if (warmupRecords == 0) {
            measuredFrom.set(Start.now());
          }
          lastRecordNanos.set(System.nanoTime());
          for (int p = 0; p < partitions; p++) {
            consumer.subscribe(topic, p, Consumer.EARLIEST, handler);
          }
          long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
          // Wakes at most every timeoutMs/10 to check for idleness, never spinning.
          while (!finished.await(Math.max(1, timeoutMs / 10), TimeUnit.MILLISECONDS)) {
            if (System.nanoTime() - lastRecordNanos.get() > timeoutNanos) {
              break;
            }
          }
          end = System.nanoTime();
          seenAtEnd = seen.get();
          bytesAtEnd = bytes.sum();
          cpuAtEnd = CpuUse.sample();
        } finally {
          progress.shutdownNow();
        }
      }
      if (failure.get() != null) {
        throw failure.get() instanceof RuntimeException e
            ? e
            : new IllegalStateException(failure.get());
      }
      Start start = measuredFrom.get();
      if (start == null) {
        global
            .err()
            .println("ordo: only " + seenAtEnd + " of " + warmupRecords + " warm-up records read; none arrived for " + timeoutMs + " ms");
        return 1;
      }
      long read = seenAtEnd - warmupRecords;
      double seconds = (end - start.nanos()) / 1e9;
      PrintStream out = global.out();
      if (global.json()) {
        JsonWriter json = new JsonWriter()
            .beginObject()
            .field("records", read)
            .field("bytes", bytesAtEnd)
            .field("seconds", seconds)
            .field("recordsPerSecond", read / seconds)
            .field("mibPerSecond", bytesAtEnd / MIB / seconds);
        out.println(cpuAtEnd.addSince(json, start.cpu(), read).endObject());
      } else {
        out.printf(
            "%d records (%.2f MiB) read in %.2f s: %.1f records/s, %.2f MiB/s%n",
            read, bytesAtEnd / MIB, seconds, read / seconds, bytesAtEnd / MIB / seconds);
        cpuAtEnd.describeSince(start.cpu(), read).ifPresent(out::println);
      }
      if (read < records) {
        global
            .err()
            .println(
                "ordo: only " + read + " of " + records + " records read; none arrived for "
                    + timeoutMs + " ms");
        return 1;
      }
      return 0;
    }
  }

  /** Where a measured part starts: the time, and the CPU used so far. */
  private record Start(long nanos, CpuUse cpu) {
    static Start now() {
      CpuUse cpu = CpuUse.sample();
      return new Start(System.nanoTime(), cpu);
    }
  }

  /** Writes the percentiles of {@code micros} in milliseconds as an object. */
  static JsonWriter latencyMs(JsonWriter json, Histogram micros) {
    return json.beginObject()
        .field("p50", micros.getValueAtPercentile(50) / 1000.0)
        .field("p99", micros.getValueAtPercentile(99) / 1000.0)
        .field("p99.9", micros.getValueAtPercentile(99.9) / 1000.0)
        .field("max", micros.getMaxValue() / 1000.0)
        .endObject();
  }

  /** The percentiles of {@code micros} in milliseconds, for a person. */
  static String latencyMs(Histogram micros) {
    return String.format("p50 %.2f, p99 %.2f, p99.9 %.2f, max %.2f",
        micros.getValueAtPercentile(50) / 1000.0, micros.getValueAtPercentile(99) / 1000.0,
        micros.getValueAtPercentile(99.9) / 1000.0, micros.getMaxValue() / 1000.0);
  }

  private static ScheduledExecutorService progressReporter() {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread thread = new Thread(r, "ordo-bench-progress");
          thread.setDaemon(true);
          return thread;
        });
  }
}
