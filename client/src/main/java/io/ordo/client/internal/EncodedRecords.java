package io.ordo.client.internal;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.ordo.client.Header;
import io.ordo.client.ProducerRecord;
import io.ordo.proto.v1.ProduceRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch's records encoded as the {@code records} entries of a ProduceRequest, as protobuf
 * encodes them, each written once when it is sent. The request is later written from these bytes
 * straight into the transport: no Record message is built, and a record's key and value are
 * copied once on the client before they reach the socket's buffers (a Record message cost a copy
 * of each, three objects per record, and an encoding pass over them). The bytes live in chunks
 * that grow with the batch, so a batch that lingers with a few records holds little memory and one
 * that fills is never copied to grow.
 */
final class EncodedRecords {
  private static final int RECORDS_FIELD = ProduceRequest.RECORDS_FIELD_NUMBER;
  /** The first chunk's size, unless a record needs more: a lingering batch of a few small records. */
  static final int FIRST_CHUNK_BYTES = 4 * 1024;
  /** Chunks double up to this size; past it each is this big, or a record's size if larger. */
  static final int MAX_CHUNK_BYTES = 64 * 1024;

  /** Filled chunks, then the one being filled. */
  private final List<Chunk> chunks = new ArrayList<>();
  private Chunk current;
  private int bytes;
  private int count;

  /** The bytes {@code record} takes as an entry of a request's {@code records}: tag, length and Record. */
  static int entrySize(ProducerRecord record) {
    int body = bodySize(record);
    return CodedOutputStream.computeTagSize(RECORDS_FIELD) + CodedOutputStream.computeUInt32SizeNoTag(body) + body;
  }

  /** Appends {@code record}'s entry, of {@code entrySize} bytes as {@link #entrySize} gave. */
  void add(ProducerRecord record, int entrySize) {
    if (current == null || current.bytes.length - current.used < entrySize) {
      startChunk(entrySize);
    }
    CodedOutputStream out = CodedOutputStream.newInstance(current.bytes, current.used, entrySize);
    try {
      out.writeTag(RECORDS_FIELD, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      out.writeUInt32NoTag(bodySize(record));
      writeBody(record, out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      // Sized by entrySize: a mismatch is a bug here, not a condition to handle.
      throw new UncheckedIOException("record encoded to a size other than computed", e);
    }
    current.used += entrySize;
    bytes += entrySize;
    count++;
  }

  /** The encoded bytes of every record so far. */
  int bytes() {
    return bytes;
  }

  int count() {
    return count;
  }

  /** Hands each chunk's used part, in order, to {@code out}. */
  void forEachChunk(ChunkConsumer out) {
    for (Chunk chunk : chunks) {
      out.accept(chunk.bytes, chunk.used);
    }
  }

  interface ChunkConsumer {
    void accept(byte[] chunk, int length);
  }

  /** One record's Record message, as protobuf encodes it. */
  static byte[] encodeBody(ProducerRecord record) {
    byte[] body = new byte[bodySize(record)];
    CodedOutputStream out = CodedOutputStream.newInstance(body);
    try {
      writeBody(record, out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("record encoded to a size other than computed", e);
    }
    return body;
  }

  private void startChunk(int atLeast) {
    int next = current == null ? FIRST_CHUNK_BYTES : Math.min(MAX_CHUNK_BYTES, current.bytes.length * 2);
    current = new Chunk(new byte[Math.max(next, atLeast)]);
    chunks.add(current);
  }

  private static final class Chunk {
    final byte[] bytes;
    int used;

    Chunk(byte[] bytes) {
      this.bytes = bytes;
    }
  }

  // The Record message's fields, in field order as protobuf writes them, with its defaults left
  // out: the wire has no null, so a record without a key has an empty one, and one without a
  // value is a tombstone.

  private static int bodySize(ProducerRecord record) {
    int size = 0;
    if (record.key() != null && record.key().length > 0) {
      size += CodedOutputStream.computeByteArraySize(1, record.key());
    }
    if (record.value() != null && record.value().length > 0) {
      size += CodedOutputStream.computeByteArraySize(2, record.value());
    }
    for (Header header : record.headers()) {
      int headerSize = headerSize(header);
      size += CodedOutputStream.computeTagSize(3) + CodedOutputStream.computeUInt32SizeNoTag(headerSize) + headerSize;
    }
    if (record.value() == null) {
      size += CodedOutputStream.computeBoolSize(4, true);
    }
    return size;
  }

  private static int headerSize(Header header) {
    int size = 0;
    if (!header.key().isEmpty()) {
      size += CodedOutputStream.computeStringSize(1, header.key());
    }
    if (header.value().length > 0) {
      size += CodedOutputStream.computeByteArraySize(2, header.value());
    }
    return size;
  }

  private static void writeBody(ProducerRecord record, CodedOutputStream out) throws IOException {
    if (record.key() != null && record.key().length > 0) {
      out.writeByteArray(1, record.key());
    }
    if (record.value() != null && record.value().length > 0) {
      out.writeByteArray(2, record.value());
    }
    for (Header header : record.headers()) {
      out.writeTag(3, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      out.writeUInt32NoTag(headerSize(header));
      if (!header.key().isEmpty()) {
        out.writeString(1, header.key());
      }
      if (header.value().length > 0) {
        out.writeByteArray(2, header.value());
      }
    }
    if (record.value() == null) {
      out.writeBool(4, true);
    }
  }
}
