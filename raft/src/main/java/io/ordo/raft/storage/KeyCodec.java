package io.ordo.raft.storage;

import java.nio.charset.StandardCharsets;

/**
 * Big-endian keys, so RocksDB's byte order is numeric order: a partition's batches sort by base
 * offset, and all keys of one partition share an 8-byte prefix.
 */
final class KeyCodec {
  static final int PREFIX_BYTES = Long.BYTES;
  static final int BATCH_KEY_BYTES = 2 * Long.BYTES;

  private KeyCodec() {}

  static byte[] partitionPrefix(long partitionKey) {
    byte[] key = new byte[PREFIX_BYTES];
    putLong(key, 0, partitionKey);
    return key;
  }

  static byte[] batchKey(long partitionKey, long baseOffset) {
    byte[] key = new byte[BATCH_KEY_BYTES];
    putLong(key, 0, partitionKey);
    putLong(key, PREFIX_BYTES, baseOffset);
    return key;
  }

  static byte[] producerKey(long partitionKey, long producerId) {
    return batchKey(partitionKey, producerId);
  }

  /** A stream group's key: the partition's prefix, then the group name in UTF-8. */
  static byte[] groupKey(long partitionKey, String group) {
    byte[] name = group.getBytes(StandardCharsets.UTF_8);
    byte[] key = new byte[PREFIX_BYTES + name.length];
    putLong(key, 0, partitionKey);
    System.arraycopy(name, 0, key, PREFIX_BYTES, name.length);
    return key;
  }

  /** The first key after every key of {@code partitionKey}: the exclusive end of its range. */
  static byte[] partitionEnd(long partitionKey) {
    return batchKey(partitionKey + 1, 0);
  }

  static long partitionKeyOf(byte[] key) {
    return getLong(key, 0);
  }

  static long baseOffsetOf(byte[] batchKey) {
    return getLong(batchKey, PREFIX_BYTES);
  }

  private static void putLong(byte[] b, int at, long v) {
    for (int i = 7; i >= 0; i--) {
      b[at + i] = (byte) v;
      v >>>= 8;
    }
  }

  private static long getLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xff);
    }
    return v;
  }
}
