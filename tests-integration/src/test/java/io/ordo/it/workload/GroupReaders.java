package io.ordo.it.workload;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.GroupConfig;
import io.ordo.client.GroupConsumer;
import io.ordo.client.OrdoClient;
import io.ordo.client.RebalanceListener;
import io.ordo.client.TopicPartition;
import io.ordo.it.history.History;
import io.ordo.it.history.Op;
import io.ordo.it.history.PartitionRead;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Members of one stream group that read the topic, record every poll, commit after each poll
 * (at-least-once), and come and go: each member lives a few seconds, then leaves, having committed
 * what it read or (like a crash between processing and commit) not, and a new one takes its place.
 *
 * <p>History ops, per member process: {@link #F_ASSIGNED} and {@link #F_RELEASED} (ok, one per
 * partition, when the member starts and stops owning it), {@link #F_POLL} (invoke, then ok with
 * the records returned, partition -1) and {@link #F_COMMIT} (invoke with the partition and the
 * next offset, then ok, fail or info).
 */
public final class GroupReaders implements AutoCloseable {
  public static final String GROUP = "jepsen-readers";
  public static final String F_ASSIGNED = "group-assigned";
  public static final String F_RELEASED = "group-released";
  public static final String F_POLL = "group-poll";
  public static final String F_COMMIT = "group-commit";
  /** Short, so members dropped by a fault lose their partitions within the run. */
  private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration POLL_WAIT = Duration.ofMillis(200);
  private static final long MIN_LIFETIME_MS = 4_000;
  private static final long MAX_LIFETIME_MS = 12_000;

  private final ClientThreads threads;
  private final String topic;
  private final int members;
  private final int firstProcess;
  private final History history;
  private final long seed;

  /** {@code members} members at a time, numbered from {@code firstProcess} on in the history. */
  public GroupReaders(Supplier<OrdoClient.Builder> clients, String topic, int members, int firstProcess, History history, long seed) {
    this.threads = new ClientThreads(clients, Duration.ofSeconds(30));
    this.topic = topic;
    this.members = members;
    this.firstProcess = firstProcess;
    this.history = history;
    this.seed = seed;
  }

  public void start() {
    for (int m = 0; m < members; m++) {
      int process = firstProcess + m;
      Random random = new Random(seed + process);
      threads.start("group-member-" + process, client -> {
        while (threads.running()) {
          liveOneMembership(process, client, random);
        }
      });
    }
  }

  /** One member from join to leave; it leaves after a random lifetime, committing its last poll or not. */
  private void liveOneMembership(int process, OrdoClient client, Random random) {
    long leaveAt = System.nanoTime()
        + TimeUnit.MILLISECONDS.toNanos(MIN_LIFETIME_MS + random.nextLong(MAX_LIFETIME_MS - MIN_LIFETIME_MS));
    boolean commitLastPoll = random.nextBoolean();
    GroupConfig config = GroupConfig.of(GROUP, topic).withSessionTimeout(SESSION_TIMEOUT).withListener(new Recorder(process));
    GroupConsumer member = client.groupConsumer(config);
    try {
      while (threads.running() && System.nanoTime() < leaveAt) {
        Map<Integer, Long> next = poll(process, member);
        commit(process, member, next);
      }
      if (!commitLastPoll) {
        poll(process, member); // read, then leave without committing: the next owner reads these again
      }
    } finally {
      for (TopicPartition tp : member.assignment()) {
        released(process, tp.partition(), "left the group");
      }
      member.close();
    }
  }

  /** One poll, recorded; returns, per partition it read, the offset after its last record. */
  private Map<Integer, Long> poll(int process, GroupConsumer member) {
    history.add(new Op(process, Op.Type.INVOKE, F_POLL, null, -1, -1, history.now(), null));
    try {
      List<ConsumerRecord> records = member.poll(POLL_WAIT);
      List<PartitionRead> reads = new ArrayList<>(records.size());
      Map<Integer, Long> next = new TreeMap<>();
      for (ConsumerRecord r : records) {
        reads.add(new PartitionRead(r.partition(), r.offset(), r.valueAsString()));
        next.put(r.partition(), r.offset() + 1);
      }
      history.add(new Op(process, Op.Type.OK, F_POLL, null, -1, -1, history.now(), null, reads));
      return next;
    } catch (RuntimeException e) {
      history.add(new Op(process, Outcome.of(e), F_POLL, null, -1, -1, history.now(), String.valueOf(e)));
      return Map.of();
    }
  }

  /** Commits each partition on its own, so the history holds one outcome per offset committed. */
  private void commit(int process, GroupConsumer member, Map<Integer, Long> next) {
    next.forEach((partition, offset) -> {
      TopicPartition tp = new TopicPartition(topic, partition);
      if (!member.assignment().contains(tp)) {
        return; // lost while committing another partition: its new owner reads these again
      }
      history.add(new Op(process, Op.Type.INVOKE, F_COMMIT, null, partition, offset, history.now(), null));
      try {
        member.commit(Map.of(tp, offset));
        history.add(new Op(process, Op.Type.OK, F_COMMIT, null, partition, offset, history.now(), null));
      } catch (RuntimeException e) {
        history.add(new Op(process, Outcome.of(e), F_COMMIT, null, partition, offset, history.now(), String.valueOf(e)));
      }
    });
  }

  private void released(int process, int partition, String why) {
    history.add(new Op(process, Op.Type.OK, F_RELEASED, why, partition, -1, history.now(), null));
  }

  /** Records when the member starts and stops owning partitions. */
  private final class Recorder implements RebalanceListener {
    private final int process;

    Recorder(int process) {
      this.process = process;
    }

    @Override
    public void onAssigned(Collection<TopicPartition> partitions) {
      partitions.forEach(tp -> history.add(new Op(process, Op.Type.OK, F_ASSIGNED, null, tp.partition(), -1, history.now(), null)));
    }

    @Override
    public void onRevoked(Collection<TopicPartition> partitions) {
      partitions.forEach(tp -> released(process, tp.partition(), "revoked"));
    }

    @Override
    public void onLost(Collection<TopicPartition> partitions) {
      partitions.forEach(tp -> released(process, tp.partition(), "lost"));
    }
  }

  /** Stops the members (each leaves its group) and waits for them. */
  @Override
  public void close() {
    threads.close();
  }
}
