package io.ordo.raft.compaction;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The latest offset of each key, keyed by the key's 128-bit MD5 digest (as Kafka's cleaner does):
 * a 64-bit hash would, once in a while, let two keys collide and remove a live record. Open
 * addressing in three arrays, 24 bytes a key, sized once for at most {@code capacity} keys.
 */
final class LatestOffsets {
  private final long[] high;
  private final long[] low;
  private final long[] offsets;
  private final int mask;
  private final int capacity;
  private final MessageDigest md5;
  private int size;

  LatestOffsets(int capacity) {
    this.capacity = capacity;
    int slots = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) << 1;
    high = new long[slots];
    low = new long[slots];
    offsets = new long[slots];
    java.util.Arrays.fill(offsets, -1);
    mask = slots - 1;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has MD5", e);
    }
  }

  int size() {
    return size;
  }

  /** Whether {@code more} keys not yet here would still fit. */
  boolean fits(int more) {
    return size + more <= capacity;
  }

  /** Records {@code offset} as the key's latest (offsets come in ascending order). */
  void put(ByteString key, long offset) {
    int slot = slotOf(key);
    if (offsets[slot] < 0) {
      if (size == capacity) {
        throw new IllegalStateException("more than " + capacity + " keys");
      }
      size++;
    }
    offsets[slot] = offset;
  }

  /** The key's latest offset, or -1 if it is not here. */
  long get(ByteString key) {
    return offsets[slotOf(key)];
  }

  /** The slot holding the key's digest, or the empty one where it would go. */
  private int slotOf(ByteString key) {
    md5.reset();
    key.asReadOnlyByteBufferList().forEach(md5::update);
    byte[] digest = md5.digest();
    long h = 0;
    long l = 0;
    for (int i = 0; i < 8; i++) {
      h = (h << 8) | (digest[i] & 0xff);
      l = (l << 8) | (digest[i + 8] & 0xff);
    }
    for (int slot = (int) (h ^ (h >>> 32)) & mask; ; slot = (slot + 1) & mask) {
      if (offsets[slot] < 0) {
        high[slot] = h;
        low[slot] = l;
        return slot;
      }
      if (high[slot] == h && low[slot] == l) {
        return slot;
      }
    }
  }
}
