package io.ordo.it.workload;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.FetchResult;
import io.ordo.client.OrdoClient;
import io.ordo.it.history.History;
import io.ordo.it.history.Op;
import io.ordo.it.history.PartitionRead;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Readers that fetch every partition from offset 0 on, in turns, each through a client of its own,
 * recording every fetch as an op: invoke (partition, offset asked for), then ok with the records
 * returned, or fail or info. Each asks next for the offset the previous fetch said comes next, so
 * the checker can hold them to contiguous offsets.
 */
public final class FetchingReaders implements AutoCloseable {
  public static final String F_READ = "read";
  private static final int MAX_RECORDS = 1_000;
  private static final int MAX_BYTES = 1 << 20;
  private static final Duration MAX_WAIT = Duration.ofMillis(50);
  private static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final ClientThreads threads;
  private final String topic;
  private final int partitions;
  private final int readers;
  private final int firstProcess;
  private final History history;

  /** {@code readers} readers, numbered from {@code firstProcess} on in the history. */
  public FetchingReaders(
      Supplier<OrdoClient.Builder> clients, String topic, int partitions, int readers, int firstProcess, History history) {
    this.threads = new ClientThreads(clients, Duration.ofSeconds(30));
    this.topic = topic;
    this.partitions = partitions;
    this.readers = readers;
    this.firstProcess = firstProcess;
    this.history = history;
  }

  public void start() {
    for (int r = 0; r < readers; r++) {
      int process = firstProcess + r;
      threads.start("reader-" + process, client -> read(process, client));
    }
  }

  private void read(int process, OrdoClient client) {
    long[] next = new long[partitions];
    while (threads.running()) {
      for (int p = 0; p < partitions && threads.running(); p++) {
        history.add(new Op(process, Op.Type.INVOKE, F_READ, null, p, next[p], history.now(), null));
        try {
          FetchResult result = client.consumer().fetch(topic, p, next[p], MAX_RECORDS, MAX_BYTES, MAX_WAIT);
          List<PartitionRead> reads = new ArrayList<>(result.records().size());
          for (ConsumerRecord r : result.records()) {
            reads.add(new PartitionRead(p, r.offset(), r.valueAsString()));
          }
          history.add(new Op(process, Op.Type.OK, F_READ, null, p, next[p], history.now(), null, reads));
          next[p] = result.nextOffset();
        } catch (RuntimeException e) {
          history.add(new Op(process, Outcome.of(e), F_READ, null, p, next[p], history.now(), String.valueOf(e)));
        }
      }
      LockSupport.parkNanos(PAUSE_NANOS);
    }
  }

  /** Stops reading and waits for the fetches in flight. */
  @Override
  public void close() {
    threads.close();
  }
}
