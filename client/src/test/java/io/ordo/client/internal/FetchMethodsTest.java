package io.ordo.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.FetchResult;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.Record;
import io.ordo.proto.v1.RecordBatch;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FetchMethodsTest {
  private static final MethodDescriptor.Marshaller<FetchResult> ANSWERS = FetchMethods.subscribe("t", 3).getResponseMarshaller();
  private static final MethodDescriptor.Marshaller<FetchResponse> SENT = ConsumerServiceGrpc.getSubscribeMethod().getResponseMarshaller();

  /** An answer of two records from offset 7, the first with a value of {@code size} bytes of {@code fill}. */
  private static FetchResponse answer(int size, int fill) {
    RecordBatch batch = RecordBatch.newBuilder()
        .setBaseOffset(7)
        .addRecords(Record.newBuilder().setKey(ByteString.copyFromUtf8("k")).setValue(ByteString.copyFrom(filled(size, fill))))
        .addRecords(Record.newBuilder().setValue(ByteString.copyFromUtf8("second")))
        .build();
    return FetchResponse.newBuilder()
        .addBatches(batch.toByteString())
        .setFromOffset(7)
        .setNextOffset(9)
        .setStartOffset(2)
        .setEndOffset(10)
        .build();
  }

  private static byte[] filled(int size, int value) {
    byte[] bytes = new byte[size];
    Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  private static void assertIsTheAnswer(FetchResult result, int size, int fill) {
    assertThat(result.records()).extracting(ConsumerRecord::offset).containsExactly(7L, 8L);
    assertThat(result.records()).allSatisfy(r -> assertThat(r.topic()).isEqualTo("t")).allSatisfy(r -> assertThat(r.partition()).isEqualTo(3));
    assertThat(result.records().get(0).key()).asString().isEqualTo("k");
    assertThat(result.records().get(0).value()).hasSize(size).containsOnly(fill);
    assertThat(result.records().get(1).valueAsString()).isEqualTo("second");
    assertThat(result).extracting(FetchResult::nextOffset, FetchResult::startOffset, FetchResult::endOffset).containsExactly(9L, 2L, 10L);
  }

  @Test
  void anAnswerIsParsedIntoTheRecordsItCarries() {
    assertIsTheAnswer(ANSWERS.parse(SENT.stream(answer(4096, 5))), 4096, 5);
  }

  @Test
  void answersReadIntoOneThreadsBufferInTurnEachKeepTheirOwnRecords() {
    FetchResult large = ANSWERS.parse(SENT.stream(answer(64 << 10, 1)));
    FetchResult small = ANSWERS.parse(SENT.stream(answer(100, 2)));
    FetchResult larger = ANSWERS.parse(SENT.stream(answer(256 << 10, 3)));
    FetchResult beyondTheReusedBuffer = ANSWERS.parse(SENT.stream(answer(FetchMethods.REUSED_BUFFER_MAX + 1, 4)));

    assertIsTheAnswer(large, 64 << 10, 1);
    assertIsTheAnswer(small, 100, 2);
    assertIsTheAnswer(larger, 256 << 10, 3);
    assertIsTheAnswer(beyondTheReusedBuffer, FetchMethods.REUSED_BUFFER_MAX + 1, 4);
  }

  @Test
  void aStreamWithoutAKnownLengthParsesToo() {
    assertIsTheAnswer(ANSWERS.parse(new ByteArrayInputStream(answer(4096, 5).toByteArray())), 4096, 5);
  }

  @Test
  void aStreamShorterThanItsAnnouncedLengthIsAnInternalError() {
    byte[] bytes = answer(4096, 5).toByteArray();
    InputStream truncated = new Truncated(bytes, bytes.length - 10);

    assertThatThrownBy(() -> ANSWERS.parse(truncated))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL))
        .hasMessageContaining("Subscribe");
  }

  @Test
  void anUndecodableBatchIsAnInternalError() {
    FetchResponse broken = FetchResponse.newBuilder().addBatches(ByteString.copyFrom(new byte[] {0x12, 0x7f})).build();

    assertThatThrownBy(() -> ANSWERS.parse(SENT.stream(broken)))
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
