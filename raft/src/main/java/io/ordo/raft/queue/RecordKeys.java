package io.ordo.raft.queue;

import com.google.protobuf.ByteString;

/** The keys of a partition's records, as a key-ordered queue group needs them: hashed. */
public interface RecordKeys {
  /** The hash standing for "no key": such a record is not ordered. */
  long NO_KEY = 0;

  /** The key hashes of the {@code count} records from {@code fromOffset}, all in the log. */
  long[] keyHashes(long fromOffset, int count);

  /** A 64-bit hash of {@code key} (FNV-1a, then mixed), never {@link #NO_KEY} for a key; NO_KEY for none. */
  static long hash(ByteString key) {
    if (key.isEmpty()) {
      return NO_KEY;
    }
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < key.size(); i++) {
      h = (h ^ (key.byteAt(i) & 0xff)) * 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h == NO_KEY ? 1 : h;
  }
}
