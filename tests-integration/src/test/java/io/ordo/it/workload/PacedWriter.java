package io.ordo.it.workload;

import io.ordo.client.OrdoClient;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One producer sending records with ids {@code r-0, r-1, ...} at a steady pace on a thread of its
 * own until stopped, remembering which were acknowledged: the background load of a test that
 * changes the cluster under it and then checks that nothing acknowledged was lost or doubled.
 */
public final class PacedWriter {
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicBoolean writing = new AtomicBoolean(true);
  private final Thread thread;

  private PacedWriter(OrdoClient client, Duration interval, Function<String, ProducerRecord> record) {
    thread = new Thread(() -> {
      try (Producer producer = client.producer()) {
        while (writing.get()) {
          String id = "r-" + sent.getAndIncrement();
          producer.send(record.apply(id)).thenRun(() -> acknowledged.add(id));
          try {
            Thread.sleep(interval.toMillis());
          } catch (InterruptedException e) {
            return;
          }
        }
      }
    }, "paced-writer");
  }

  /** Starts sending {@code record(id)} every {@code interval}. */
  public static PacedWriter start(OrdoClient client, Duration interval, Function<String, ProducerRecord> record) {
    PacedWriter writer = new PacedWriter(client, interval, record);
    writer.thread.start();
    return writer;
  }

  /** The ids acknowledged so far. */
  public Set<String> acknowledged() {
    return acknowledged;
  }

  /** Whether {@code id} is one this writer sent. */
  public boolean sent(String id) {
    return id.startsWith("r-") && Integer.parseInt(id.substring(2)) < sent.get();
  }

  /** Stops sending and waits until the producer has flushed what it sent; false if it did not within {@code atMost}. */
  public boolean stop(Duration atMost) throws InterruptedException {
    writing.set(false);
    thread.join(atMost.toMillis());
    return !thread.isAlive();
  }
}
