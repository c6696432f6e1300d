package io.ordo.client.internal;

import io.ordo.protocol.KeyPartitioner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks the partition of a record sent without one. A keyed record goes where its key hashes
 * ({@link KeyPartitioner}, as the server and Kafka do). Keyless records of a topic stick to one
 * partition until its batch fills, then move to the next partition round-robin: batches fill up
 * instead of every partition getting a trickle, and load still spreads evenly. Thread-safe.
 */
final class PartitionChooser {
  private final ConcurrentHashMap<String, AtomicInteger> sticky = new ConcurrentHashMap<>();

  /** The partition for a record of {@code topic} with {@code key} (null or empty for none). */
  int partition(String topic, byte[] key, int partitionCount) {
    if (key != null && key.length > 0) {
      return KeyPartitioner.partition(key, partitionCount);
    }
    AtomicInteger current =
        sticky.computeIfAbsent(
            topic, t -> new AtomicInteger(ThreadLocalRandom.current().nextInt(partitionCount)));
    return Math.floorMod(current.get(), partitionCount);
  }

  /**
   * A batch of {@code topic}/{@code partition} filled: keyless records move on to the next
   * partition, once, even when several threads report the same full batch.
   */
  void onBatchFull(String topic, int partition, int partitionCount) {
    AtomicInteger current = sticky.get(topic);
    if (current != null) {
      current.compareAndSet(partition, (partition + 1) % partitionCount);
    }
  }
}
