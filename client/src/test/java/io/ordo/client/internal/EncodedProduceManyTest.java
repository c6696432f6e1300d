package io.ordo.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.ordo.client.Header;
import io.ordo.client.ProducerRecord;
import io.ordo.proto.v1.ProduceManyRequest;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.Record;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EncodedProduceManyTest {
  /** Records of every shape the wire distinguishes, each beside the Record protobuf would build for it. */
  private static final List<ProducerRecord> SHAPES = List.of(
      ProducerRecord.of("t", "k", "v"),
      ProducerRecord.of("t", "no key"),
      ProducerRecord.of("t", new byte[0], bytes("empty key")),
      ProducerRecord.of("t", bytes("k"), new byte[0]),
      ProducerRecord.tombstone("t", "gone"),
      ProducerRecord.of("t", "k", "with headers").withHeaders(List.of(
          new Header("trace", bytes("abc")), new Header("", bytes("no key")), new Header("empty", new byte[0]), new Header("é", bytes("x")))),
      ProducerRecord.of("t", new byte[70_000]));

  private static Record expected(ProducerRecord record) {
    Record.Builder builder = Record.newBuilder();
    if (record.key() != null) {
      builder.setKey(ByteString.copyFrom(record.key()));
    }
    if (record.value() == null) {
      builder.setTombstone(true);
    } else {
      builder.setValue(ByteString.copyFrom(record.value()));
    }
    record.headers().forEach(h -> builder.addHeadersBuilder().setKey(h.key()).setValue(ByteString.copyFrom(h.value())));
    return builder.build();
  }

  @Test
  void aRecordsEntryIsWhatProtobufEncodesForIt() {
    for (ProducerRecord record : SHAPES) {
      assertThat(EncodedRecords.entrySize(record))
          .isEqualTo(CodedOutputStream.computeMessageSize(ProduceRequest.RECORDS_FIELD_NUMBER, expected(record)));
      assertThat(Records.toProto(record)).isEqualTo(expected(record));
    }
  }

  @Test
  void theRequestIsTheBytesProtobufEncodesForIt() throws Exception {
    // Enough records to fill several chunks, the 70 KB one past the largest chunk size.
    List<ProducerRecord> many = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      many.add(SHAPES.get(i % SHAPES.size()));
    }
    EncodedProduceMany call = new EncodedProduceMany();
    call.add("events", 0, 0, 0, false, encode(SHAPES.subList(0, 1)));
    call.add("événements", 3, 42, 7, true, encode(many));
    call.add("events", 1, -5, 1L << 40, false, encode(SHAPES));

    ProduceManyRequest want = ProduceManyRequest.newBuilder()
        .addRequests(request("events", 0, SHAPES.subList(0, 1)))
        .addRequests(request("événements", 3, many).setProducerId(42).setFirstSequence(7).setFollowsPrevious(true))
        .addRequests(request("events", 1, SHAPES).setProducerId(-5).setFirstSequence(1L << 40))
        .build();
    byte[] drained = drain(call);
    assertThat(call.size()).isEqualTo(want.getSerializedSize());
    assertThat(Arrays.equals(drained, want.toByteArray())).as("drained bytes equal protobuf's").isTrue();
    assertThat(Arrays.equals(readByteByByteAndInPieces(call), want.toByteArray())).as("read bytes equal protobuf's").isTrue();
  }

  private static EncodedRecords encode(List<ProducerRecord> records) {
    EncodedRecords encoded = new EncodedRecords();
    records.forEach(r -> encoded.add(r, EncodedRecords.entrySize(r)));
    return encoded;
  }

  private static ProduceRequest.Builder request(String topic, int partition, List<ProducerRecord> records) {
    ProduceRequest.Builder builder = ProduceRequest.newBuilder().setTopic(topic).setPartition(partition);
    records.forEach(r -> builder.addRecords(expected(r)));
    return builder;
  }

  private static byte[] drain(EncodedProduceMany call) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InputStream stream = EncodedProduceMany.METHOD.streamRequest(call);
    int drained = ((io.grpc.Drainable) stream).drainTo(out);
    assertThat(drained).isEqualTo(out.size());
    assertThat(stream.available()).isZero();
    return out.toByteArray();
  }

  /** Reads the request as gRPC would from a stream it cannot drain: a byte, then pieces of odd sizes. */
  private static byte[] readByteByByteAndInPieces(EncodedProduceMany call) throws Exception {
    InputStream stream = EncodedProduceMany.METHOD.streamRequest(call);
    assertThat(stream.available()).isEqualTo(call.size());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(stream.read());
    byte[] piece = new byte[977];
    for (int n = stream.read(piece, 0, piece.length); n != -1; n = stream.read(piece, 0, piece.length)) {
      out.write(piece, 0, n);
    }
    assertThat(stream.read()).isEqualTo(-1);
    return out.toByteArray();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
