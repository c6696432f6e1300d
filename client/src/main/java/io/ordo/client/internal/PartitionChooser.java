package io.ordo.client.internal;

import io.ordo.protocol.KeyPartitioner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks the partition of a record sent without one. A keyed record goes where its key hashes
 * ({@link KeyPartitioner}, as the server and Kafka do). Keyless records of a topic stick to one
 * partition while its open batch takes them; once that batch is closed (it filled, or the sender
 * took it and a record had to open a new one) the records after it move to the next partition,
 * round-robin. Under load batches fill before they are sent; at low rates batches are small and
 * the records spread over the partitions instead of queuing behind one partition's request in
 * flight (as Kafka's sticky partitioner, KIP-480). Thread-safe.
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
   * A keyless record opened or filled a batch of {@code topic}/{@code partition}: the next keyless
   * records move on to the next partition, once, even when several threads report the same batch.
   */
  void onBatchBoundary(String topic, int partition, int partitionCount) {
    AtomicInteger current = sticky.get(topic);
    if (current != null) {
      current.compareAndSet(partition, (partition + 1) % partitionCount);
    }
  }
}
