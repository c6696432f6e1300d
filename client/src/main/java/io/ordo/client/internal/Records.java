package io.ordo.client.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.Header;
import io.ordo.client.ProducerRecord;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.Record;
import io.ordo.proto.v1.RecordBatch;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Converts records between the wire and the public {@link ConsumerRecord} and {@link ProducerRecord}. */
final class Records {
  private Records() {}

  /**
   * The records a fetch or a subscription's message carries, in offset order: its stored batches'
   * records from its from_offset on, or its records.
   */
  static List<ConsumerRecord> fromResponse(String topic, int partition, FetchResponse response) throws IOException {
    if (response.getBatchesCount() == 0) {
      List<ConsumerRecord> out = new ArrayList<>(response.getRecordsCount());
      for (ConsumedRecord record : response.getRecordsList()) {
        out.add(toConsumerRecord(topic, partition, record));
      }
      return out;
    }
    List<ConsumerRecord> out = new ArrayList<>((int) Math.max(0, response.getNextOffset() - response.getFromOffset()));
    for (ByteString encoded : response.getBatchesList()) {
      RecordBatch batch = RecordBatch.parseFrom(FetchMethods.aliasingInput(encoded));
      for (int i = 0; i < batch.getRecordsCount(); i++) {
        // A compacted batch has holes: its records' offsets are listed.
        long offset = batch.getBaseOffset() + (batch.getOffsetDeltasCount() == 0 ? i : Integer.toUnsignedLong(batch.getOffsetDeltas(i)));
        if (offset >= response.getFromOffset()) {
          Record r = batch.getRecords(i);
          out.add(toConsumerRecord(
              topic, partition, offset, batch.getTimestampMs(), r.getKey(), r.getValue(), r.getTombstone(), r.getHeadersList()));
        }
      }
    }
    return out;
  }

  static ConsumerRecord toConsumerRecord(String topic, int partition, ConsumedRecord record) {
    return toConsumerRecord(
        topic,
        partition,
        record.getOffset(),
        record.getTimestampMs(),
        record.getKey(),
        record.getValue(),
        record.getTombstone(),
        record.getHeadersList());
  }

  private static ConsumerRecord toConsumerRecord(
      String topic,
      int partition,
      long offset,
      long timestampMs,
      ByteString key,
      ByteString value,
      boolean tombstone,
      List<io.ordo.proto.v1.Header> wireHeaders) {
    List<Header> headers = List.of();
    if (!wireHeaders.isEmpty()) {
      headers = new ArrayList<>(wireHeaders.size());
      for (io.ordo.proto.v1.Header header : wireHeaders) {
        headers.add(new Header(header.getKey(), header.getValue().toByteArray()));
      }
    }
    return new ConsumerRecord(
        topic,
        partition,
        offset,
        timestampMs,
        // The wire has no null: an empty key means the record has none.
        key.isEmpty() ? null : key.toByteArray(),
        tombstone ? null : value.toByteArray(),
        headers);
  }

  /** The record as the wire carries it, decoded from the bytes a producer sends for it. */
  static Record toProto(ProducerRecord record) {
    try {
      return Record.parseFrom(EncodedRecords.encodeBody(record));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a record encoded to bytes that do not decode", e);
    }
  }
}
