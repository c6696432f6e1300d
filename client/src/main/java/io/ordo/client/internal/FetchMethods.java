package io.ordo.client.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.ordo.client.FetchResult;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.FetchRequest;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.SubscribeRequest;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.SoftReference;

/**
 * The consumer service's methods whose answers carry records (Fetch, Subscribe) for one
 * partition, with each answer turned into its records as gRPC parses it. The answer is read out
 * of the transport once, into its thread's reused buffer, and its stored batches and their keys
 * and values are parsed as views of that buffer (protobuf's aliasing); each key and value is
 * copied once, into the record handed over. gRPC's own parser copies each batch out of the
 * message and each key and value again. Parsing the answer straight out of the transport's
 * buffers (Netty's, detached from gRPC) was measured too: the reader spent 17% more CPU per record
 * than with a fresh array per answer, as protobuf makes several objects for every value it aliases
 * in a direct buffer.
 */
final class FetchMethods {
  /**
   * The largest answer read into its thread's reused buffer: a node's answers are up to 1 MiB of
   * records by default; larger ones get an array of their own.
   */
  static final int REUSED_BUFFER_MAX = 4 << 20;

  /**
   * Each thread's buffer for answers (gRPC parses on its executor's few threads): a fresh array per
   * answer cost its zeroing, and as an array of a region's size or more, G1's humongous allocations.
   */
  private static final ThreadLocal<SoftReference<byte[]>> REUSED_BUFFER = ThreadLocal.withInitial(() -> new SoftReference<>(null));

  private FetchMethods() {}

  static MethodDescriptor<FetchRequest, FetchResult> fetch(String topic, int partition) {
    return answeredWithRecords(ConsumerServiceGrpc.getFetchMethod(), topic, partition);
  }

  static MethodDescriptor<SubscribeRequest, FetchResult> subscribe(String topic, int partition) {
    return answeredWithRecords(ConsumerServiceGrpc.getSubscribeMethod(), topic, partition);
  }

  /** A reader of protobuf bytes that may hand out views of them (they must stay unchanged). */
  static CodedInputStream aliasingInput(ByteString bytes) {
    CodedInputStream in = bytes.newCodedInput();
    in.enableAliasing(true);
    return in;
  }

  private static <Q> MethodDescriptor<Q, FetchResult> answeredWithRecords(
      MethodDescriptor<Q, FetchResponse> method, String topic, int partition) {
    return method.toBuilder(method.getRequestMarshaller(), new MethodDescriptor.Marshaller<FetchResult>() {
      @Override
      public InputStream stream(FetchResult value) {
        throw new UnsupportedOperationException("a client receives answers to " + method.getFullMethodName() + ", it never sends one");
      }

      @Override
      public FetchResult parse(InputStream stream) {
        try {
          return recordsOf(topic, partition, stream);
        } catch (IOException e) {
          throw Status.INTERNAL.withDescription("undecodable answer to " + method.getFullMethodName() + ": " + e.getMessage())
              .withCause(e)
              .asRuntimeException();
        }
      }
    }).build();
  }

  /**
   * The records an answer carries. The answer is read into this thread's buffer and parsed as views
   * of it, so the records must own every byte they keep before the buffer is read into again.
   */
  private static FetchResult recordsOf(String topic, int partition, InputStream stream) throws IOException {
    FetchResponse response = FetchResponse.parseFrom(aliasingInput(read(stream)));
    return new FetchResult(
        Records.fromResponse(topic, partition, response), response.getNextOffset(), response.getStartOffset(), response.getEndOffset());
  }

  /**
   * The stream's bytes, in this thread's buffer where the stream knows their length (gRPC's
   * message streams do, but for compressed messages) and they fit in {@link #REUSED_BUFFER_MAX}.
   */
  private static ByteString read(InputStream stream) throws IOException {
    if (!(stream instanceof KnownLength)) {
      return UnsafeByteOperations.unsafeWrap(stream.readAllBytes());
    }
    int size = stream.available();
    byte[] buffer = size <= REUSED_BUFFER_MAX ? reusedBuffer(size) : new byte[size];
    int read = stream.readNBytes(buffer, 0, size);
    if (read < size || stream.read() != -1) {
      throw new IOException("the message's stream did not hold the " + size + " bytes it announced");
    }
    // Changed only once views of it are gone (unsafeWrap's contract).
    return UnsafeByteOperations.unsafeWrap(buffer, 0, size);
  }

  private static byte[] reusedBuffer(int size) {
    byte[] buffer = REUSED_BUFFER.get().get();
    if (buffer == null || buffer.length < size) {
      buffer = new byte[size];
      REUSED_BUFFER.set(new SoftReference<>(buffer));
    }
    return buffer;
  }
}
