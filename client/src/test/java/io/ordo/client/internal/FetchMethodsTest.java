package io.ordo.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.client.ConsumerRecord;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.Record;
import io.ordo.proto.v1.RecordBatch;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FetchMethodsTest {
  private static final MethodDescriptor.Marshaller<FetchResponse> ANSWERS = FetchMethods.SUBSCRIBE.getResponseMarshaller();

  private static FetchResponse answer() {
    RecordBatch batch = RecordBatch.newBuilder()
        .setBaseOffset(7)
        .addRecords(Record.newBuilder().setKey(ByteString.copyFromUtf8("k")).setValue(ByteString.copyFrom(new byte[4096])))
        .addRecords(Record.newBuilder().setValue(ByteString.copyFromUtf8("second")))
        .build();
    return FetchResponse.newBuilder().addBatches(batch.toByteString()).setFromOffset(7).setNextOffset(9).build();
  }

  @Test
  void anAnswerParsesAsWhatWasSentAndItsRecordsOwnTheirBytes() {
    FetchResponse sent = answer();

    FetchResponse parsed = ANSWERS.parse(ANSWERS.stream(sent));

    assertThat(parsed).isEqualTo(sent);
    var records = Records.fromResponse("t", 0, parsed);
    assertThat(records).extracting(ConsumerRecord::offset).containsExactly(7L, 8L);
    assertThat(records.get(1).valueAsString()).isEqualTo("second");
    byte[] handedOver = records.get(0).value();
    Arrays.fill(handedOver, (byte) 1);
    assertThat(Records.fromResponse("t", 0, parsed).get(0).value()).as("a record's bytes are its own").containsOnly(0);
  }

  @Test
  void aStreamWithoutAKnownLengthParsesToo() {
    FetchResponse sent = answer();

    assertThat(ANSWERS.parse(new ByteArrayInputStream(sent.toByteArray()))).isEqualTo(sent);
  }

  @Test
  void aStreamShorterThanItsAnnouncedLengthIsAnInternalError() {
    byte[] bytes = answer().toByteArray();
    InputStream truncated = new Truncated(bytes, bytes.length - 10);

    assertThatThrownBy(() -> ANSWERS.parse(truncated))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL))
        .hasMessageContaining("Subscribe");
  }

  /** Announces all of its bytes but ends after {@code ends} of them. */
  private static final class Truncated extends ByteArrayInputStream implements KnownLength {
    private final int announced;

    Truncated(byte[] bytes, int ends) {
      super(bytes, 0, ends);
      this.announced = bytes.length;
    }

    @Override
    public synchronized int available() {
      return announced - pos;
    }
  }
}
