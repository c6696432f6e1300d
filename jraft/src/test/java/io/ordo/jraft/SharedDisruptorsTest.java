package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.alipay.sofa.jraft.util.DisruptorBuilder;
import com.alipay.sofa.jraft.util.NamedThreadFactory;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SharedDisruptorsTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  /** An event as jraft's are: a mutable slot the publisher fills. */
  static final class Slot {
    long value;
  }

  /** What one disruptor's handler saw, in order. */
  static final class Seen {
    final List<Long> values = new ArrayList<>();
    final List<Boolean> endOfBatch = new ArrayList<>();
    final ConcurrentLinkedQueue<Thread> threads = new ConcurrentLinkedQueue<>();
  }

  private static PolledDisruptor<Slot> started(Stripe stripe, int ringSize, Seen seen) {
    PolledDisruptor<Slot> d = PolledDisruptor.create(Slot::new, ringSize, ProducerType.MULTI, stripe);
    d.handleEventsWith(
        (Slot event, long sequence, boolean endOfBatch) -> {
          synchronized (seen) {
            seen.values.add(event.value);
            seen.endOfBatch.add(endOfBatch);
          }
          seen.threads.add(Thread.currentThread());
        });
    d.start();
    return d;
  }

  private static void publish(RingBuffer<Slot> ring, long value) {
    ring.publishEvent((slot, sequence, v) -> slot.value = v, value);
  }

  @Test
  void jraftBuildsItsQueuesHereAndThisIsTheJraftItWasWrittenFor() throws Exception {
    Disruptor<Slot> shared =
        DisruptorBuilder.<Slot>newInstance()
            .setEventFactory(Slot::new)
            .setRingBufferSize(16)
            .setThreadFactory(new NamedThreadFactory("JRaft-FSMCaller-Disruptor-", true))
            .build();
    assertThat(shared).isInstanceOf(PolledDisruptor.class);

    Disruptor<Slot> unknownKind =
        DisruptorBuilder.<Slot>newInstance()
            .setEventFactory(Slot::new)
            .setRingBufferSize(16)
            .setThreadFactory(new NamedThreadFactory("JRaft-SomethingNew-Disruptor-", true))
            .build();
    assertThat(unknownKind).isNotInstanceOf(PolledDisruptor.class);

    Disruptor<Slot> dedicated =
        SharedDisruptors.withDedicatedThreads(
            () -> DisruptorBuilder.<Slot>newInstance()
                .setEventFactory(Slot::new)
                .setRingBufferSize(16)
                .setThreadFactory(new NamedThreadFactory("JRaft-FSMCaller-Disruptor-", true))
                .build());
    assertThat(dedicated).isNotInstanceOf(PolledDisruptor.class);

    Disruptor<Slot> sharedLog = logQueueOf(1024);
    assertThat(sharedLog.getRingBuffer().getBufferSize())
        .as("a shared queue gets at most its kind's slots, whatever jraft asks for")
        .isEqualTo(SharedDisruptors.KINDS_SHARED.get("JRaft-LogManager-Disruptor-").maxRingSize())
        .isLessThan(1024);
    assertThat(SharedDisruptors.withDedicatedThreads(() -> logQueueOf(1024)).getRingBuffer().getBufferSize())
        .as("a queue with threads of its own gets what jraft asks for")
        .isEqualTo(1024);

    Properties jraft = new Properties();
    try (InputStream in =
        getClass().getResourceAsStream("/META-INF/maven/com.alipay.sofa/jraft-core/pom.properties")) {
      jraft.load(in);
    }
    assertThat(jraft.getProperty("version"))
        .as("DisruptorBuilder and SharedDisruptors.KINDS_SHARED follow jraft 1.4.1's queues;"
            + " check both against the new jraft's, then change this")
        .isEqualTo("1.4.1");
  }

  private static Disruptor<Slot> logQueueOf(int ringSize) {
    return DisruptorBuilder.<Slot>newInstance()
        .setEventFactory(Slot::new)
        .setRingBufferSize(ringSize)
        .setThreadFactory(new NamedThreadFactory("JRaft-LogManager-Disruptor-", true))
        .build();
  }

  /**
   * {@code queues} disruptors with rings of {@code ringSize} on one stripe, each fed {@code
   * perPublisher} events (0, 1, ...) by each of {@code publishers} threads, then shut down; what
   * each one's handler saw.
   */
  private static List<Seen> publishConcurrently(String stripeName, int queues, int ringSize, int publishers, int perPublisher) {
    Stripe stripe = new Stripe(stripeName, Integer.MAX_VALUE);
    List<Seen> seen = new ArrayList<>();
    List<PolledDisruptor<Slot>> disruptors = new ArrayList<>();
    for (int q = 0; q < queues; q++) {
      Seen s = new Seen();
      seen.add(s);
      disruptors.add(started(stripe, ringSize, s));
    }
    assertTimeoutPreemptively(DEADLINE, () -> {
      List<Thread> threads = new ArrayList<>();
      for (PolledDisruptor<Slot> d : disruptors) {
        for (int p = 0; p < publishers; p++) {
          Thread t = new Thread(() -> {
            for (long v = 0; v < perPublisher; v++) {
              publish(d.getRingBuffer(), v);
            }
          });
          t.start();
          threads.add(t);
        }
      }
      for (Thread t : threads) {
        t.join();
      }
      disruptors.forEach(Disruptor::shutdown);
    });
    return seen;
  }

  @Test
  void queuesSharingAThreadEachGetTheirEventsInOrderEndingABatch() {
    int perQueue = 5_000;
    for (Seen s : publishConcurrently("test-order", 20, 64, 1, perQueue)) {
      synchronized (s) {
        assertThat(s.values).hasSize(perQueue);
        for (int i = 0; i < perQueue; i++) {
          assertThat(s.values.get(i)).isEqualTo(i);
        }
        assertThat(s.endOfBatch.get(perQueue - 1)).as("the last event ends a batch").isTrue();
      }
      assertThat(s.threads).allMatch(t -> t.getName().equals("test-order"));
    }
  }

  @Test
  void tinyFullRingsHoldBackTheirPublishersAndNeverTheSharedThread() {
    // jraft's rings push back by blocking publishers: a full ring must not stop the others'.
    int perPublisher = 2_000;
    for (Seen s : publishConcurrently("test-full", 10, 2, 2, perPublisher)) {
      synchronized (s) {
        assertThat(s.values).hasSize(2 * perPublisher);
      }
    }
  }

  @Test
  void anEventPublishedWhileItsQueueDrainsIsNotLeftBehind() throws Exception {
    Stripe stripe = new Stripe("test-wakeup", Integer.MAX_VALUE);
    PolledDisruptor<Slot> d = PolledDisruptor.create(Slot::new, 16, ProducerType.MULTI, stripe);
    CountDownLatch inFirst = new CountDownLatch(1);
    CountDownLatch secondPublished = new CountDownLatch(1);
    CountDownLatch secondHandled = new CountDownLatch(1);
    d.handleEventsWith((Slot event, long sequence, boolean endOfBatch) -> {
      if (event.value == 0) {
        inFirst.countDown();
        secondPublished.await(); // the drain already knows how far it reads
      } else {
        secondHandled.countDown();
      }
    });
    RingBuffer<Slot> ring = d.start();
    publish(ring, 0);
    assertThat(inFirst.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    publish(ring, 1);
    secondPublished.countDown();
    assertThat(secondHandled.await(10, TimeUnit.SECONDS)).as("the second event was handled").isTrue();
    d.shutdown();
  }

  @Test
  void aFailingEventGoesToTheExceptionHandlerAndTheNextOneFollows() throws Exception {
    Stripe stripe = new Stripe("test-failure", Integer.MAX_VALUE);
    PolledDisruptor<Slot> d = PolledDisruptor.create(Slot::new, 16, ProducerType.MULTI, stripe);
    List<Long> handled = new ArrayList<>();
    List<Long> failed = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    d.handleEventsWith((Slot event, long sequence, boolean endOfBatch) -> {
      if (event.value == 1) {
        throw new IllegalStateException("planted");
      }
      handled.add(event.value);
      if (event.value == 2) {
        done.countDown();
      }
    });
    d.setDefaultExceptionHandler(new ExceptionHandler<Object>() {
      @Override
      public void handleEventException(Throwable ex, long sequence, Object event) {
        failed.add(((Slot) event).value);
      }

      @Override
      public void handleOnStartException(Throwable ex) {}

      @Override
      public void handleOnShutdownException(Throwable ex) {}
    });
    RingBuffer<Slot> ring = d.start();
    for (long v = 0; v < 3; v++) {
      publish(ring, v);
    }
    assertThat(done.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    d.shutdown();
    assertThat(handled).containsExactly(0L, 2L);
    assertThat(failed).containsExactly(1L);
  }

  @Test
  void aQueueShutsDownFromTheThreadItSharesWithoutWaitingForItself() {
    // jraft stops a group from whatever thread it is on, a shared one too: the waiting shutdown
    // would otherwise hold up the very thread that drains the backlog it waits for.
    Stripe stripe = new Stripe("test-shutdown", Integer.MAX_VALUE);
    Seen seenB = new Seen();
    PolledDisruptor<Slot> b = started(stripe, 1024, seenB);
    PolledDisruptor<Slot> a = PolledDisruptor.create(Slot::new, 16, ProducerType.MULTI, stripe);
    CountDownLatch aHandled = new CountDownLatch(1);
    a.handleEventsWith((Slot event, long sequence, boolean endOfBatch) -> {
      for (long v = 0; v < 500; v++) {
        publish(b.getRingBuffer(), v);
      }
      b.shutdown();
      aHandled.countDown();
    });
    publish(a.start(), 0);
    assertTimeoutPreemptively(DEADLINE, () -> aHandled.await());
    synchronized (seenB) {
      assertThat(seenB.values).hasSize(500);
    }
    assertThatCode(a::shutdown).doesNotThrowAnyException();
  }
}
