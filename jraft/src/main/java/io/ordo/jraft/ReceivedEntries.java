package io.ordo.jraft;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The entries' bytes of an AppendEntries request a follower received, as one buffer the entries
 * are sliced from (patched NodeImpl, src/patch/NodeImpl.patch). jraft copied each entry into an
 * array of its own (a tenth of the bytes a follower allocated while writing), out of bytes that
 * were already the request's own: {@link AppendEntriesBatch} parses them aliased into the received
 * message, which nothing writes to, so entries can share it.
 */
public final class ReceivedEntries {
  private ReceivedEntries() {}

  /**
   * A writable heap buffer over {@code data}'s bytes, not a copy where {@code data} is one array
   * (a received request's always is): protobuf reads an array-backed buffer in place at apply,
   * where a read-only one it would copy.
   */
  public static ByteBuffer of(ByteString data) {
    ArrayCatcher catcher = new ArrayCatcher();
    try {
      UnsafeByteOperations.unsafeWriteTo(data, catcher);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // ArrayCatcher throws none
    }
    return catcher.single != null ? catcher.single : ByteBuffer.wrap(data.toByteArray());
  }

  /** Keeps the array a ByteString hands over whole; more than one part (a rope) and it keeps none. */
  private static final class ArrayCatcher extends ByteOutput {
    ByteBuffer single;
    int parts;

    @Override
    public void writeLazy(byte[] value, int offset, int length) {
      single = ++parts == 1 ? ByteBuffer.wrap(value, offset, length).slice() : null;
    }

    @Override
    public void writeLazy(ByteBuffer value) {
      single = ++parts == 1 && value.hasArray() && !value.isReadOnly() ? value.slice() : null;
    }

    @Override
    public void write(byte value) {
      parts = 2;
      single = null;
    }

    @Override
    public void write(byte[] value, int offset, int length) {
      parts = 2;
      single = null;
    }

    @Override
    public void write(ByteBuffer value) {
      parts = 2;
      single = null;
    }
  }
}
