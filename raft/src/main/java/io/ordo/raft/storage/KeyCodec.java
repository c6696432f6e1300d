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

  /**
   * A queue group's record: the partition's prefix, the group name's length (2 bytes) and UTF-8
   * bytes, then the offset, so one group's records sort by offset after a common prefix.
   */
  static byte[] queueRecordKey(long partitionKey, String group, long offset) {
    byte[] name = group.getBytes(StandardCharsets.UTF_8);
    byte[] key = new byte[PREFIX_BYTES + 2 + name.length + Long.BYTES];
    putLong(key, 0, partitionKey);
    key[PREFIX_BYTES] = (byte) (name.length >>> 8);
    key[PREFIX_BYTES + 1] = (byte) name.length;
    System.arraycopy(name, 0, key, PREFIX_BYTES + 2, name.length);
    putLong(key, PREFIX_BYTES + 2 + name.length, offset);
    return key;
  }

  /** The queue group whose record {@code key} is. */
  static String queueGroupOf(byte[] key) {
    int length = ((key[PREFIX_BYTES] & 0xff) << 8) | (key[PREFIX_BYTES + 1] & 0xff);
    return new String(key, PREFIX_BYTES + 2, length, StandardCharsets.UTF_8);
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
