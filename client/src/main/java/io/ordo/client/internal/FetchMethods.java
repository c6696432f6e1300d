package io.ordo.client.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.FetchRequest;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.SubscribeRequest;
import java.io.IOException;
import java.io.InputStream;

/**
 * The consumer service's methods whose answers carry records (Fetch, Subscribe), with the answers
 * parsed without copying their record bytes again: the message is read out of the transport once,
 * and its stored batches, and the batches' keys and values ({@link Records}), are views of that
 * array (protobuf's aliasing). gRPC's own parser copies each batch out of the message, and
 * parsing a batch copies each key and value again, before the client copies them into the
 * records it hands over: while a consumer read from the start, its JVM spent a third of its time
 * turning answers into records.
 */
final class FetchMethods {
  static final MethodDescriptor<FetchRequest, FetchResponse> FETCH = aliasing(ConsumerServiceGrpc.getFetchMethod());
  static final MethodDescriptor<SubscribeRequest, FetchResponse> SUBSCRIBE = aliasing(ConsumerServiceGrpc.getSubscribeMethod());

  private FetchMethods() {}

  /** A reader of protobuf bytes that may hand out views of them (they must stay unchanged). */
  static CodedInputStream aliasingInput(ByteString bytes) {
    CodedInputStream in = bytes.newCodedInput();
    in.enableAliasing(true);
    return in;
  }

  private static <Q> MethodDescriptor<Q, FetchResponse> aliasing(MethodDescriptor<Q, FetchResponse> method) {
    MethodDescriptor.Marshaller<FetchResponse> generated = method.getResponseMarshaller();
    return method.toBuilder(method.getRequestMarshaller(), new MethodDescriptor.Marshaller<FetchResponse>() {
      @Override
      public InputStream stream(FetchResponse value) {
        return generated.stream(value);
      }

      @Override
      public FetchResponse parse(InputStream stream) {
        try {
          // Never written again, so views of it stay valid (unsafeWrap's contract).
          return FetchResponse.parseFrom(aliasingInput(UnsafeByteOperations.unsafeWrap(readFully(stream))));
        } catch (IOException e) {
          throw Status.INTERNAL.withDescription("undecodable answer to " + method.getFullMethodName() + ": " + e.getMessage())
              .withCause(e)
              .asRuntimeException();
        }
      }
    }).build();
  }

  /**
   * The stream's bytes in one array of their size where the stream knows it (gRPC's message
   * streams do, but for compressed messages).
   */
  private static byte[] readFully(InputStream stream) throws IOException {
    if (!(stream instanceof KnownLength)) {
      return stream.readAllBytes();
    }
    int size = stream.available();
    byte[] bytes = new byte[size];
    int read = stream.readNBytes(bytes, 0, size);
    if (read < size || stream.read() != -1) {
      throw new IOException("the message's stream did not hold the " + size + " bytes it announced");
    }
    return bytes;
  }
}
