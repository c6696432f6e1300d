package io.ordo.jraft;

import com.lmax.disruptor.EventFactory;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Where jraft's per-group event queues run. jraft gives each Raft group four queues (LMAX
 * disruptors: proposals, log writes, applying, read-index), each with a thread of its own: at a
 * thousand partitions a node ran ten thousand threads and collapsed. Here each kind of queue has a
 * fixed set of threads ({@link #KINDS_SHARED}) and every queue is bound to one of them for its
 * life, which keeps each queue's events in order and hands them to jraft's handler exactly as a
 * queue's own thread would, with the same end-of-batch marks.
 *
 * <p>The price is head-of-line blocking within a thread: a group whose handler is slow (a synced
 * log write, a large apply) delays the other groups bound to the same thread, where before it
 * delayed only itself. A group that must not wait behind partitions, the cluster's metadata, is
 * started {@link #withDedicatedThreads with threads of its own}.
 */
public final class SharedDisruptors {
  /**
   * How a kind of queue is shared: its threads, the most slots a queue of the kind gets, and
   * whether its threads run {@link LogSyncRound}s (the log writers' do).
   * jraft sizes every queue alike (RaftOptions' disruptorBufferSize) and fills each slot with an
   * event object up front: at 1,024 slots, 4 queues a group and a thousand groups, 4 million
   * objects and 220 MB of a node's heap, which G1's concurrent mark walked in every cycle (a tenth
   * of a loaded node's CPU). A group's queue rarely holds more than a few events.
   */
  record Sizing(int threads, int maxRingSize, boolean syncRounds) {}

  /** Per kind of queue, by the prefix jraft names the kind's threads with. */
  static final Map<String, Sizing> KINDS_SHARED =
      Map.of(
          // a leader's proposals, handed on to its log; full, jraft refuses a proposal (EBUSY),
          // which the partition answers as OVERLOADED
          "JRaft-NodeImpl-Disruptor-", new Sizing(2, 128, false),
          // log writes: the groups a thread drains in a row share one sync (LogSyncRound), and
          // RocksDB merges the threads' syncs; two threads rather than four put more groups in
          // each round (1,000 partitions: +29% records/s, a fifth less CPU per record; 6
          // partitions paced: the same); full, a leader refuses proposals and a follower appends
          // (EBUSY), which the leader sends again
          "JRaft-LogManager-Disruptor-", new Sizing(2, 128, true),
          // committed entries, applied to the state machine; full, publishers wait, among them
          // the group's own shutdown, which may run on this very thread: more room than the others
          "JRaft-FSMCaller-Disruptor-", new Sizing(4, 256, false),
          // read-index requests; full, jraft refuses one (EBUSY)
          "JRaft-ReadOnlyService-Disruptor-", new Sizing(1, 128, false));

  private static final Map<String, Kind> KINDS = new ConcurrentHashMap<>();
  private static final ThreadLocal<Boolean> DEDICATED = ThreadLocal.withInitial(() -> false);

  private SharedDisruptors() {}

  /**
   * Runs {@code start} (a Raft group's start) so that the queues it creates get threads of their
   * own, as jraft would give them.
   */
  public static <T> T withDedicatedThreads(Supplier<T> start) {
    DEDICATED.set(true);
    try {
      return start.get();
    } finally {
      DEDICATED.remove();
    }
  }

  /** Whether the caller is inside {@link #withDedicatedThreads}: starting a group that must not wait behind partitions. */
  static boolean startingDedicated() {
    return DEDICATED.get();
  }

  /**
   * A queue for jraft (called by its DisruptorBuilder): on a shared thread of its kind, with at
   * most the kind's slots, or with threads of its own and the slots jraft asks for, for a kind not
   * listed (a queue a later jraft adds) or inside {@link #withDedicatedThreads}. A shared queue
   * has no waiting consumer, so {@code waitStrategy} has nothing to do there.
   */
  public static <T> Disruptor<T> create(
      EventFactory<T> eventFactory,
      int ringBufferSize,
      ThreadFactory threadFactory,
      ProducerType producerType,
      WaitStrategy waitStrategy) {
    String kind = kindOf(threadFactory);
    Sizing sizing = KINDS_SHARED.get(kind);
    if (sizing == null || DEDICATED.get()) {
      return new Disruptor<>(eventFactory, ringBufferSize, threadFactory, producerType, waitStrategy);
    }
    Kind shared = KINDS.computeIfAbsent(kind, k -> new Kind(k, sizing));
    return PolledDisruptor.create(
        eventFactory, Math.min(ringBufferSize, sizing.maxRingSize()), producerType, shared.nextStripe());
  }

  /** jraft's thread factories number the threads they name: "JRaft-FSMCaller-Disruptor-0". */
  private static String kindOf(ThreadFactory threadFactory) {
    return threadFactory.newThread(() -> {}).getName().replaceFirst("\\d+$", "");
  }

  /**
   * The threads of one kind of queue, handed to new queues in turn. A stripe's backlog needs no
   * bound of its own: a queue has at most two drains pending (one running, one asked for since).
   */
  private static final class Kind {
    private final Stripe[] stripes;
    private final AtomicInteger next = new AtomicInteger();

    Kind(String prefix, Sizing sizing) {
      // "JRaft-FSMCaller-Disruptor-" runs on "ordo-raft-FSMCaller-0", ...
      String name = "ordo-raft-" + prefix.replaceFirst("^JRaft-", "").replaceFirst("-Disruptor-$", "") + "-";
      this.stripes = new Stripe[sizing.threads()];
      for (int i = 0; i < stripes.length; i++) {
        stripes[i] = new Stripe(name + i, Integer.MAX_VALUE, sizing.syncRounds());
      }
    }

    Stripe nextStripe() {
      return stripes[Math.floorMod(next.getAndIncrement(), stripes.length)];
    }
  }
}
