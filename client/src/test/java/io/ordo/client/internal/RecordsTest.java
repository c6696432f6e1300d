package io.ordo.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ordo.client.ConsumerRecord;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.Header;
import io.ordo.proto.v1.Record;
import io.ordo.proto.v1.RecordBatch;
import org.junit.jupiter.api.Test;

class RecordsTest {
  private static Record record(String key, String value) {
    return Record.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value)).build();
  }

  @Test
  void storedBatchesYieldTheirRecordsFromTheAnswersFirstOffset() throws Exception {
    Record withHeader = record("k1", "v1").toBuilder()
        .addHeaders(Header.newBuilder().setKey("h").setValue(ByteString.copyFromUtf8("hv"))).build();
    FetchResponse response = FetchResponse.newBuilder()
        .addBatches(RecordBatch.newBuilder().setBaseOffset(10).setTimestampMs(1_000)
            .addRecords(record("k0", "v0")).addRecords(withHeader).addRecords(record("", "v2")).build().toByteString())
        .addBatches(RecordBatch.newBuilder().setBaseOffset(13).setTimestampMs(2_000)
            .addRecords(record("k3", "v3")).build().toByteString())
        .setFromOffset(11)
        .setNextOffset(14)
        .build();

    var records = Records.fromResponse("t", 4, response);

    assertThat(records).extracting(ConsumerRecord::offset).containsExactly(11L, 12L, 13L);
    assertThat(records).extracting(ConsumerRecord::timestampMs).containsExactly(1_000L, 1_000L, 2_000L);
    assertThat(records.get(0).key()).asString().isEqualTo("k1");
    assertThat(records.get(0).headers()).singleElement().satisfies(h -> assertThat(h.key()).isEqualTo("h"));
    assertThat(records.get(1).key()).as("an empty key is none").isNull();
    assertThat(records).allSatisfy(r -> assertThat(r.topic()).isEqualTo("t")).allSatisfy(r -> assertThat(r.partition()).isEqualTo(4));
  }

  @Test
  void aCompactedBatchsRecordsKeepTheirOffsetsAndTombstonesHaveNoValue() throws Exception {
    Record tombstone = Record.newBuilder().setKey(ByteString.copyFromUtf8("k5")).setTombstone(true).build();
    FetchResponse response = FetchResponse.newBuilder()
        .addBatches(RecordBatch.newBuilder().setBaseOffset(10).setTimestampMs(1_000)
            .addRecords(record("k1", "v1")).addOffsetDeltas(1)
            .addRecords(record("k3", "v3")).addOffsetDeltas(3)
            .addRecords(tombstone).addOffsetDeltas(5)
            .build().toByteString())
        .setFromOffset(12)
        .setNextOffset(17)
        .build();

    var records = Records.fromResponse("t", 0, response);

    assertThat(records).extracting(ConsumerRecord::offset).containsExactly(13L, 15L);
    assertThat(records.get(0).valueAsString()).isEqualTo("v3");
    assertThat(records.get(1).isTombstone()).isTrue();
    assertThat(records.get(1).value()).isNull();
    assertThat(Records.toProto(io.ordo.client.ProducerRecord.tombstone("t", "k5"))).isEqualTo(tombstone);
  }
}
