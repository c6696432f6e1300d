package io.ordo.client.internal;

import com.google.protobuf.ByteString;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.Header;
import io.ordo.client.ProducerRecord;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.Record;
import java.util.ArrayList;
import java.util.List;

/** Converts records between the wire and the public {@link ConsumerRecord} and {@link ProducerRecord}. */
final class Records {
  private Records() {}

  static ConsumerRecord toConsumerRecord(String topic, int partition, ConsumedRecord record) {
    List<Header> headers = List.of();
    if (record.getHeadersCount() > 0) {
      headers = new ArrayList<>(record.getHeadersCount());
      for (io.ordo.proto.v1.Header header : record.getHeadersList()) {
        headers.add(new Header(header.getKey(), header.getValue().toByteArray()));
      }
    }
    return new ConsumerRecord(
        topic,
        partition,
        record.getOffset(),
        record.getTimestampMs(),
        // The wire has no null: an empty key means the record has none.
        record.getKey().isEmpty() ? null : record.getKey().toByteArray(),
        record.getValue().toByteArray(),
        headers);
  }

  static Record toProto(ProducerRecord record) {
    Record.Builder builder = Record.newBuilder().setValue(ByteString.copyFrom(record.value()));
    if (record.key() != null) {
      builder.setKey(ByteString.copyFrom(record.key()));
    }
    for (Header header : record.headers()) {
      builder
          .addHeadersBuilder()
          .setKey(header.key())
          .setValue(ByteString.copyFrom(header.value()));
    }
    return builder.build();
  }
}
