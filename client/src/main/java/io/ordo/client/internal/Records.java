package io.ordo.client.internal;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.Header;
import io.ordo.proto.v1.ConsumedRecord;
import java.util.ArrayList;
import java.util.List;

/** Converts records read from the wire to the public {@link ConsumerRecord}. */
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
}
