package io.ordo.raft.rocksdb;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Puts a protobuf message into a write batch without an array of its encoding: the message is
 * encoded into a direct buffer the calling thread reuses, and RocksDB copies key and value into the
 * batch from there. A node's Raft entries and stored batches are up to megabytes each, written
 * once and dropped: as arrays they were a third of the bytes a writing node allocated, the young
 * collections they caused promoted what was in flight, and the old generation's collector then ran
 * in every cycle. Each thread that writes so (the log writers, the appliers, a snapshot's import)
 * keeps at most {@link #MAX_REUSED_BYTES}; a larger value is encoded into an array, as before.
 */
public final class DirectPut {
  /** The most a thread keeps for reuse: the largest entry a partition proposes (4 MiB), its key and framing. */
  public static final int MAX_REUSED_BYTES = (4 << 20) + (64 << 10);

  private static final int FIRST_BUFFER_BYTES = 64 << 10;
  private static final ThreadLocal<ByteBuffer> BUFFERS = new ThreadLocal<>();

  private DirectPut() {}

  /** Puts {@code key} with the value {@code prefix} followed by {@code message}'s encoding. */
  public static void put(WriteBatch batch, ColumnFamilyHandle family, byte[] key, byte[] prefix, MessageLite message)
      throws RocksDBException {
    int valueBytes = prefix.length + message.getSerializedSize();
    int bytes = key.length + valueBytes;
    if (bytes > MAX_REUSED_BYTES) {
      byte[] value = new byte[valueBytes];
      System.arraycopy(prefix, 0, value, 0, prefix.length);
      writeExactly(message, CodedOutputStream.newInstance(value, prefix.length, valueBytes - prefix.length));
      batch.put(family, key, value);
      return;
    }
    ByteBuffer buffer = buffer(bytes);
    buffer.clear();
    buffer.put(key).put(prefix);
    ByteBuffer value = buffer.slice(key.length, valueBytes).position(prefix.length);
    writeExactly(message, CodedOutputStream.newInstance(value));
    if (value.hasRemaining()) {
      throw new IllegalStateException("a message encoded to fewer bytes than protobuf computed for it");
    }
    batch.put(family, buffer.slice(0, key.length), value.flip());
  }

  private static void writeExactly(MessageLite message, CodedOutputStream out) {
    try {
      message.writeTo(out);
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException("a message outgrew the size protobuf computed for it", e);
    }
  }

  /** This thread's buffer, grown by doubling to hold {@code bytes} (at most {@link #MAX_REUSED_BYTES}). */
  private static ByteBuffer buffer(int bytes) {
    ByteBuffer buffer = BUFFERS.get();
    if (buffer == null || buffer.capacity() < bytes) {
      int capacity = buffer == null ? FIRST_BUFFER_BYTES : buffer.capacity();
      while (capacity < bytes) {
        capacity *= 2;
      }
      buffer = ByteBuffer.allocateDirect(Math.min(capacity, MAX_REUSED_BYTES));
      BUFFERS.set(buffer);
    }
    return buffer;
  }
}
