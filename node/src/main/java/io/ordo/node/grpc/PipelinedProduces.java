package io.ordo.node.grpc;

import io.ordo.raft.partition.PartitionId;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Puts a producer's pipelined requests to a partition back in sequence order before they are
 * proposed. Unary calls can be served out of order (a producer's calls on several connections, a
 * call with a password, which runs on a pool thread of its own: see {@link CallExecutors}), and a
 * request proposed before the one it follows is refused at apply as SEQUENCE_GAP, which costs
 * the producer a round of resends. So a request that
 * follows one not yet proposed here waits for it, up to {@link #PARK_MS}, and then goes anyway.
 *
 * <p>Only an optimisation: the partition's state machine alone decides what is appended. A wrong
 * guess here (a proposal that then failed, a leader change) only yields a SEQUENCE_GAP, and the
 * producer's resend, led by a request that does not follow, starts the sequence afresh.
 */
final class PipelinedProduces {
  /** Longest a request waits for the one it follows. */
  static final long PARK_MS = 200;
  /** Requests of one producer and partition waiting at a time; more go at once. */
  static final int MAX_PARKED = 4;
  /** Producers and partitions tracked; past it, ones with nothing waiting are forgotten. */
  static final int MAX_TRACKED = 10_000;

  private record Key(PartitionId partition, long producerId) {}

  private record Parked(int count, Runnable propose) {}

  /** Where a producer's sequence stands on a partition: the end of what was proposed, and who waits. */
  private static final class Track {
    /** The sequence after the last request proposed; -1 until a request that does not follow. */
    long next = -1;
    final TreeMap<Long, Parked> parked = new TreeMap<>();

    /**
     * Proposes, then the parked request that follows it, if any (and so on: at most
     * {@link #MAX_PARKED} deep). A request that does not follow starts the sequence afresh (a
     * producer's resend).
     */
    void propose(long firstSequence, int count, boolean followsPrevious, Runnable propose) {
      next = followsPrevious ? Math.max(next, firstSequence + count) : firstSequence + count;
      propose.run();
      Map.Entry<Long, Parked> due = parked.firstEntry();
      if (due != null && due.getKey() == next) {
        parked.pollFirstEntry();
        propose(due.getKey(), due.getValue().count(), true, due.getValue().propose());
      }
    }
  }

  private final Map<Key, Track> tracks = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;

  PipelinedProduces(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /**
   * Runs {@code propose} for the request of {@code count} records at {@code firstSequence} now, or
   * once the request it follows has been proposed (or {@link #PARK_MS} passed). {@code propose}
   * must not block: it runs under the producer's lock, so proposals keep their order.
   */
  void submit(PartitionId partition, long producerId, long firstSequence, int count, boolean followsPrevious, Runnable propose) {
    Track track = tracks.computeIfAbsent(new Key(partition, producerId), k -> new Track());
    synchronized (track) {
      if (followsPrevious && firstSequence > track.next && track.parked.size() < MAX_PARKED) {
        Parked parked = new Parked(count, propose);
        track.parked.put(firstSequence, parked);
        timer.schedule(() -> release(track, firstSequence, parked), PARK_MS, TimeUnit.MILLISECONDS);
        return;
      }
      track.propose(firstSequence, count, followsPrevious, propose);
    }
    if (tracks.size() > MAX_TRACKED) {
      forgetIdle();
    }
  }

  /** The wait is over: proposes it if it is still parked. */
  private static void release(Track track, long firstSequence, Parked parked) {
    synchronized (track) {
      if (track.parked.remove(firstSequence, parked)) {
        track.propose(firstSequence, parked.count(), true, parked.propose());
      }
    }
  }

  private void forgetIdle() {
    for (Iterator<Track> it = tracks.values().iterator(); it.hasNext() && tracks.size() > MAX_TRACKED; ) {
      Track track = it.next();
      synchronized (track) {
        if (track.parked.isEmpty()) {
          it.remove();
        }
      }
    }
  }
}
