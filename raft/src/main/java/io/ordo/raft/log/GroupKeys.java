package io.ordo.raft.log;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Keys of one group's entries: group id bytes, a 0 byte, the big-endian log index. */
final class GroupKeys {
  private final byte[] prefix;

  GroupKeys(String groupId) {
    byte[] id = groupId.getBytes(StandardCharsets.UTF_8);
    for (byte b : id) {
      if (b == 0) {
        throw new IllegalArgumentException("group id contains a 0 byte");
      }
    }
    prefix = Arrays.copyOf(id, id.length + 1);
  }

  byte[] entry(long index) {
    byte[] key = Arrays.copyOf(prefix, prefix.length + Long.BYTES);
    System.arraycopy(bigEndian(index), 0, key, prefix.length, Long.BYTES);
    return key;
  }

  static byte[] bigEndian(long value) {
    byte[] out = new byte[Long.BYTES];
    for (int i = 0; i < Long.BYTES; i++) {
      out[i] = (byte) (value >>> (56 - 8 * i));
    }
    return out;
  }

  static long readBigEndian(byte[] bytes, int at) {
    long value = 0;
    for (int i = 0; i < Long.BYTES; i++) {
      value = (value << 8) | (bytes[at + i] & 0xff);
    }
    return value;
  }

  /** The first possible key of the group (index 0). */
  byte[] first() {
    return entry(0);
  }

  /** The exclusive end of the group's range: the prefix with its 0 byte raised to 1. */
  byte[] end() {
    byte[] end = prefix.clone();
    end[end.length - 1] = 1;
    return end;
  }

  byte[] metaKey() {
    return prefix.clone();
  }

  long indexOf(byte[] key) {
    return readBigEndian(key, prefix.length);
  }

  /** Whether {@code key} belongs to this group. */
  boolean owns(byte[] key) {
    return key.length == prefix.length + Long.BYTES && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
