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
    ByteBuffer whole = catcher.whole();
    return whole != null ? whole : ByteBuffer.wrap(data.toByteArray());
  }

  /**
   * The parts a ByteString hands over: one writable array-backed part is its bytes whole; more
   * parts (a rope), or a part it hands over only to be copied, and there is none to keep.
   */
  private static final class ArrayCatcher extends ByteOutput {
    private int parts;
    /** The last part handed over, if it may be kept: the whole only when it is the one part. */
    private ByteBuffer last;

    ByteBuffer whole() {
      return parts == 1 ? last : null;
    }

    private void part(ByteBuffer keepable) {
      parts++;
      last = keepable;
    }

    @Override
    public void writeLazy(byte[] value, int offset, int length) {
      part(ByteBuffer.wrap(value, offset, length).slice());
    }

    @Override
    public void writeLazy(ByteBuffer value) {
      part(value.hasArray() && !value.isReadOnly() ? value.slice() : null);
    }

    @Override
    public void write(byte value) {
      part(null);
    }

    @Override
    public void write(byte[] value, int offset, int length) {
      part(null);
    }

    @Override
    public void write(ByteBuffer value) {
      part(null);
    }
  }
}
