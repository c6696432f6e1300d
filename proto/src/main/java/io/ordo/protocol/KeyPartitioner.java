package io.ordo.protocol;

/**
 * Maps a record key to a partition: {@code toPositive(murmur2(key)) % partitions}, the same
 * function and seed as Kafka's default partitioner, so a key lands on the same partition number in
 * Ordo as in Kafka for the same partition count. The mapping is stable across versions: changing it
 * would move keys between partitions and break per-key order.
 */
public final class KeyPartitioner {
  private static final int SEED = 0x9747b28c;
  private static final int M = 0x5bd1e995;
  private static final int R = 24;

  private KeyPartitioner() {}

  /** The partition of {@code key} among {@code partitions}; {@code partitions} must be positive. */
  public static int partition(byte[] key, int partitions) {
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions must be positive: " + partitions);
    }
    return (murmur2(key) & 0x7fffffff) % partitions;
  }

  /** 32-bit MurmurHash2 of {@code data}. */
  static int murmur2(byte[] data) {
    int length = data.length;
    int h = SEED ^ length;
    int length4 = length / 4;
    for (int i = 0; i < length4; i++) {
      int i4 = i * 4;
      int k = (data[i4] & 0xff)
          + ((data[i4 + 1] & 0xff) << 8)
          + ((data[i4 + 2] & 0xff) << 16)
          + ((data[i4 + 3] & 0xff) << 24);
      k *= M;
      k ^= k >>> R;
      k *= M;
      h *= M;
      h ^= k;
    }
    int tail = length4 * 4;
    switch (length % 4) {
      case 3:
        h ^= (data[tail + 2] & 0xff) << 16;
      // fall through
      case 2:
        h ^= (data[tail + 1] & 0xff) << 8;
      // fall through
      case 1:
        h ^= data[tail] & 0xff;
        h *= M;
        break;
      default:
        break;
    }
    h ^= h >>> 13;
    h *= M;
    h ^= h >>> 15;
    return h;
  }
}
