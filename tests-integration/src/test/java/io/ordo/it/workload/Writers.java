package io.ordo.it.workload;

import io.ordo.client.OrdoClient;
import io.ordo.client.Producer;
import io.ordo.client.ProducerConfig;
import io.ordo.client.ProducerRecord;
import io.ordo.it.history.History;
import io.ordo.it.history.Op;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Writers producing unique values ({@code w<writer>-<n>}) at a fixed rate each, keyed so that a
 * writer's values for one key must be read in the order written. Every send is recorded: invoke,
 * then ok (with partition and offset), fail (definitely not written) or info (unknown).
 */
public final class Writers implements AutoCloseable {
  public static final String F_WRITE = "write";
  private static final int KEYS_PER_WRITER = 8;
  private static final int MAX_OUTSTANDING = 2_000;

  private final String topic;
  private final int writers;
  private final int ratePerWriter;
  private final boolean idempotent;
  private final History history;
  private final ClientThreads threads;
  private final Semaphore outstanding = new Semaphore(MAX_OUTSTANDING);

  public Writers(Supplier<OrdoClient.Builder> clients, String topic, int writers, int ratePerWriter, boolean idempotent, History history) {
    this.threads = new ClientThreads(clients, Duration.ofSeconds(60));
    this.topic = topic;
    this.writers = writers;
    this.ratePerWriter = ratePerWriter;
    this.idempotent = idempotent;
    this.history = history;
  }

  public void start() {
    for (int w = 0; w < writers; w++) {
      int writer = w;
      threads.start("writer-" + w, client -> write(writer, client.producer(
          ProducerConfig.builder()
              .idempotent(idempotent)
              .linger(Duration.ofMillis(5))
              .deliveryTimeout(Duration.ofSeconds(15))
              .maxBlock(Duration.ofSeconds(5))
              .build())));
    }
  }

  private void write(int writer, Producer producer) {
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / ratePerWriter;
    long next = System.nanoTime();
    for (long n = 0; threads.running(); n++) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      next += intervalNanos;
      try {
        while (threads.running() && !outstanding.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          next = System.nanoTime();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (!threads.running()) {
        break;
      }
      String value = "w" + writer + "-" + n;
      history.add(Op.invoke(writer, F_WRITE, value, history.now()));
      producer
          .send(ProducerRecord.of(topic, "k" + writer + "-" + (n % KEYS_PER_WRITER), value))
          .whenComplete(
              (meta, error) -> {
                outstanding.release();
                if (error == null) {
                  history.add(
                      new Op(writer, Op.Type.OK, F_WRITE, value, meta.partition(), meta.offset(), history.now(), null));
                } else {
                  history.add(new Op(writer, Outcome.of(error), F_WRITE, value, -1, -1, history.now(),
                      String.valueOf(Outcome.cause(error))));
                }
              });
    }
    producer.close();
  }

  /** Stops writing and waits until every send has completed. */
  @Override
  public void close() {
    threads.close();
  }
}
