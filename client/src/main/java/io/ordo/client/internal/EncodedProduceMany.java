package io.ordo.client.internal;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.ordo.proto.v1.ProduceManyRequest;
import io.ordo.proto.v1.ProduceManyResponse;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.ProducerServiceGrpc;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A ProduceMany request as the bytes protobuf would encode it, assembled from each batch's {@link
 * EncodedRecords} and a few fields around them, and written into gRPC's buffers without a request
 * message built in between: {@link #METHOD} is ProduceMany with this as its request.
 */
final class EncodedProduceMany {
  static final MethodDescriptor<EncodedProduceMany, ProduceManyResponse> METHOD =
      ProducerServiceGrpc.getProduceManyMethod()
          .toBuilder(new RequestMarshaller(), ProducerServiceGrpc.getProduceManyMethod().getResponseMarshaller())
          .build();

  private final List<Segment> segments = new ArrayList<>();
  private int size;

  /** Adds a ProduceRequest of {@code records}; a 0 producer id or sequence is left out, as protobuf leaves out defaults. */
  void add(String topic, int partition, long producerId, long firstSequence, boolean followsPrevious, EncodedRecords records) {
    int headFields = CodedOutputStream.computeStringSize(ProduceRequest.TOPIC_FIELD_NUMBER, topic)
        + CodedOutputStream.computeInt32Size(ProduceRequest.PARTITION_FIELD_NUMBER, partition);
    int tailFields = (producerId == 0 ? 0 : CodedOutputStream.computeInt64Size(ProduceRequest.PRODUCER_ID_FIELD_NUMBER, producerId))
        + (firstSequence == 0 ? 0 : CodedOutputStream.computeInt64Size(ProduceRequest.FIRST_SEQUENCE_FIELD_NUMBER, firstSequence))
        + (followsPrevious ? CodedOutputStream.computeBoolSize(ProduceRequest.FOLLOWS_PREVIOUS_FIELD_NUMBER, true) : 0);
    int requestSize = headFields + records.bytes() + tailFields;
    byte[] head = new byte[CodedOutputStream.computeTagSize(ProduceManyRequest.REQUESTS_FIELD_NUMBER)
        + CodedOutputStream.computeUInt32SizeNoTag(requestSize) + headFields];
    byte[] tail = new byte[tailFields];
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(head);
      out.writeTag(ProduceManyRequest.REQUESTS_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      out.writeUInt32NoTag(requestSize);
      out.writeString(ProduceRequest.TOPIC_FIELD_NUMBER, topic);
      out.writeInt32(ProduceRequest.PARTITION_FIELD_NUMBER, partition);
      out.checkNoSpaceLeft();
      out = CodedOutputStream.newInstance(tail);
      if (producerId != 0) {
        out.writeInt64(ProduceRequest.PRODUCER_ID_FIELD_NUMBER, producerId);
      }
      if (firstSequence != 0) {
        out.writeInt64(ProduceRequest.FIRST_SEQUENCE_FIELD_NUMBER, firstSequence);
      }
      if (followsPrevious) {
        out.writeBool(ProduceRequest.FOLLOWS_PREVIOUS_FIELD_NUMBER, true);
      }
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("request fields encoded to a size other than computed", e);
    }
    segments.add(new Segment(head, head.length));
    records.forEachChunk((chunk, length) -> segments.add(new Segment(chunk, length)));
    segments.add(new Segment(tail, tail.length));
    size += head.length + records.bytes() + tail.length;
  }

  /** The encoded request's length. */
  int size() {
    return size;
  }

  private record Segment(byte[] bytes, int length) {}

  private static final class RequestMarshaller implements MethodDescriptor.Marshaller<EncodedProduceMany> {
    @Override
    public InputStream stream(EncodedProduceMany request) {
      return new RequestStream(request);
    }

    @Override
    public EncodedProduceMany parse(InputStream stream) {
      throw new UnsupportedOperationException("a client sends ProduceMany requests, it never receives one");
    }
  }

  /** The request's bytes; gRPC drains them into its buffers, a segment at a time. */
  private static final class RequestStream extends InputStream implements Drainable, KnownLength {
    private final List<Segment> segments;
    private int segment;
    private int position;
    private int remaining;

    RequestStream(EncodedProduceMany request) {
      this.segments = request.segments;
      this.remaining = request.size;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int drained = remaining;
      for (; segment < segments.size(); segment++, position = 0) {
        Segment s = segments.get(segment);
        target.write(s.bytes, position, s.length - position);
      }
      remaining = 0;
      return drained;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (remaining == 0) {
        return -1;
      }
      int read = 0;
      while (read < len && segment < segments.size()) {
        Segment s = segments.get(segment);
        int n = Math.min(len - read, s.length - position);
        System.arraycopy(s.bytes, position, b, off + read, n);
        read += n;
        position += n;
        if (position == s.length) {
          segment++;
          position = 0;
        }
      }
      remaining -= read;
      return read;
    }

    @Override
    public int available() {
      return remaining;
    }
  }
}
