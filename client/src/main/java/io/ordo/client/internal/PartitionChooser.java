package io.ordo.client.internal;

import io.ordo.protocol.KeyPartitioner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks the partition of a record sent without one. A keyed record goes where its key hashes
 * ({@link KeyPartitioner}, as the server and Kafka do). Keyless records of a topic stick to one
 * partition until a batch's worth of bytes went there, then move to the next, round-robin (as
 * Kafka's built-in partitioner since KIP-794). Counting bytes, not batches, keeps each write as
 * large as the rate allows: moving on whenever a record opened a batch sent the records round the
 * partitions one at a time (the first record in each partition opened one there too), so the nodes
 * paid a Raft write per few records (11-18 at 1,000 partitions under load; about 120 now).
 * Thread-safe.
 */
final class PartitionChooser {
  private final ConcurrentHashMap<String, Stint> stints = new ConcurrentHashMap<>();

  /** The partition a topic's keyless records go to now, and the bytes sent there in this stint. */
  private static final class Stint {
    int partition;
    long bytes;

    Stint(int partition) {
      this.partition = partition;
    }
  }

  /** The partition for a record of {@code topic} with {@code key} (null or empty for none). */
  int partition(String topic, byte[] key, int partitionCount) {
    if (key != null && key.length > 0) {
      return KeyPartitioner.partition(key, partitionCount);
    }
    Stint stint = stints.computeIfAbsent(topic, t -> new Stint(ThreadLocalRandom.current().nextInt(partitionCount)));
    synchronized (stint) {
      return Math.floorMod(stint.partition, partitionCount);
    }
  }

  /**
   * A keyless record of {@code bytes} went to {@code topic}/{@code partition}: once {@code
   * stintBytes} went there, the records after move on to the next partition. Records that raced
   * past a move count for nothing, so concurrent senders move the topic on once.
   */
  void onAppended(String topic, int partition, int bytes, int partitionCount, int stintBytes) {
    Stint stint = stints.get(topic);
    if (stint == null) {
      return;
    }
    synchronized (stint) {
      if (Math.floorMod(stint.partition, partitionCount) != partition) {
        return;
      }
      stint.bytes += bytes;
      if (stint.bytes >= stintBytes) {
        stint.partition = (partition + 1) % partitionCount;
        stint.bytes = 0;
      }
    }
  }
}
