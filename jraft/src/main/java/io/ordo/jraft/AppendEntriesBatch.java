package io.ordo.jraft;

import com.alipay.remoting.CustomSerializerManager;
import com.alipay.remoting.DefaultCustomSerializer;
import com.alipay.remoting.InvokeContext;
import com.alipay.remoting.exception.DeserializationException;
import com.alipay.remoting.rpc.RequestCommand;
import com.alipay.remoting.rpc.ResponseCommand;
import com.alipay.remoting.rpc.protocol.RpcRequestCommand;
import com.alipay.remoting.rpc.protocol.RpcResponseCommand;
import com.alipay.sofa.jraft.error.RemotingException;
import com.alipay.sofa.jraft.rpc.InvokeCallback;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequest;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesResponse;
import com.alipay.sofa.jraft.rpc.RpcRequests.ErrorResponse;
import com.alipay.sofa.jraft.util.Endpoint;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * AppendEntries requests of many Raft groups from one node to another in one Bolt message, and
 * their answers in one: heartbeats ({@link HeartbeatCoalescer}) and appends with entries
 * ({@link AppendCoalescer}), answered by {@link AppendEntriesBatchProcessor}. On the wire each is
 * a count, then per item a kind byte (answers only), a length and jraft's own protobuf encoding of
 * the item.
 */
final class AppendEntriesBatch {
  private static final byte APPEND_ENTRIES_RESPONSE = 0;
  private static final byte ERROR_RESPONSE = 1;

  private AppendEntriesBatch() {}

  /** AppendEntries requests of partition groups to one peer, in the order they were sent. */
  record Request(List<AppendEntriesRequest> parts) {}

  /** One answer per request, in the same order: an AppendEntriesResponse or jraft's ErrorResponse. */
  record Replies(List<Message> answers) {}

  /** A request waiting to leave in a batch, with its sender's callback and when the sender stops waiting. */
  record Part(AppendEntriesRequest request, InvokeCallback callback, long deadlineNanos) {
    static Part due(AppendEntriesRequest request, InvokeCallback callback, long timeoutMs) {
      return new Part(request, callback, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
    }

    long remainingMs() {
      return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }
  }

  /** The parts' requests as one batch, in their order. */
  static Request requestOf(List<Part> parts) {
    List<AppendEntriesRequest> requests = new ArrayList<>(parts.size());
    for (Part p : parts) {
      requests.add(p.request());
    }
    return new Request(requests);
  }

  /** Milliseconds until the first of the parts' senders stops waiting: the batch's timeout. */
  static long remainingMs(List<Part> parts) {
    long deadline = Long.MAX_VALUE;
    for (Part p : parts) {
      deadline = Math.min(deadline, p.deadlineNanos());
    }
    return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
  }

  /**
   * Hands each part its own answer from the batch's {@code result}, on the calling thread; false,
   * handing none, when the batch failed or its answer does not match it.
   */
  static boolean answerEach(List<Part> parts, Object result, Throwable error) {
    if (error != null || !(result instanceof Replies replies) || replies.answers().size() != parts.size()) {
      return false;
    }
    for (int i = 0; i < parts.size(); i++) {
      parts.get(i).callback().complete(replies.answers().get(i), null);
    }
    return true;
  }

  /** Sends the part's request alone, as jraft would, with what is left of its time; a failure goes to its callback. */
  static void sendAlone(RpcClient client, Endpoint peer, Part p) {
    long left = p.remainingMs();
    try {
      if (left <= 0) {
        throw new RemotingException("a request to " + peer + " timed out before it left");
      }
      client.invokeAsync(peer, p.request(), null, p.callback(), left);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      deliver(p.callback(), null, new RemotingException(e));
    } catch (RemotingException | RuntimeException e) {
      deliver(p.callback(), null, e);
    }
  }

  /** Fails each part with {@code error}. */
  static void fail(List<Part> parts, Throwable error) {
    for (Part p : parts) {
      deliver(p.callback(), null, error);
    }
  }

  /** Completes the callback on its executor, as Bolt would, or here if it has none. */
  static void deliver(InvokeCallback callback, Object answer, Throwable error) {
    Executor executor = callback.executor();
    if (executor == null) {
      callback.complete(answer, error);
    } else {
      executor.execute(() -> callback.complete(answer, error));
    }
  }

  /** Makes Bolt encode both with {@link Codec}, once per JVM (both ends must). */
  static synchronized void registerCodec() {
    for (Class<?> type : List.of(Request.class, Replies.class)) {
      if (CustomSerializerManager.getCustomSerializer(type.getName()) == null) {
        CustomSerializerManager.registerCustomSerializer(type.getName(), Codec.INSTANCE);
      }
    }
  }

  static final class Codec extends DefaultCustomSerializer {
    static final Codec INSTANCE = new Codec();

    @Override
    public <T extends RequestCommand> boolean serializeContent(T command, InvokeContext context) {
      RpcRequestCommand request = (RpcRequestCommand) command;
      request.setContent(encode(((Request) request.getRequestObject()).parts(), false));
      return true;
    }

    @Override
    public <T extends ResponseCommand> boolean serializeContent(T command) {
      RpcResponseCommand response = (RpcResponseCommand) command;
      response.setContent(encode(((Replies) response.getResponseObject()).answers(), true));
      return true;
    }

    @Override
    public <T extends RequestCommand> boolean deserializeContent(T command) throws DeserializationException {
      RpcRequestCommand request = (RpcRequestCommand) command;
      try {
        CodedInputStream in = input(request.getContent());
        int count = count(in);
        List<AppendEntriesRequest> parts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          parts.add(readItem(in, AppendEntriesRequest.parser()));
        }
        request.setRequestObject(new Request(parts));
        return true;
      } catch (IOException e) {
        throw new DeserializationException("a malformed AppendEntries batch: " + e.getMessage());
      }
    }

    @Override
    public <T extends ResponseCommand> boolean deserializeContent(T command, InvokeContext context)
        throws DeserializationException {
      RpcResponseCommand response = (RpcResponseCommand) command;
      try {
        CodedInputStream in = input(response.getContent());
        int count = count(in);
        List<Message> answers = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          byte kind = in.readRawByte();
          answers.add(kind == ERROR_RESPONSE ? readItem(in, ErrorResponse.parser()) : readItem(in, AppendEntriesResponse.parser()));
        }
        response.setResponseObject(new Replies(answers));
        return true;
      } catch (IOException e) {
        throw new DeserializationException("malformed AppendEntries answers: " + e.getMessage());
      }
    }

    /**
     * Entries' bytes stay in the received array (aliased), not copied: jraft, patched, slices each
     * entry out of it ({@link ReceivedEntries}). Protobuf aliases only an input it was told is
     * immutable (a plain array's is copied even with aliasing on), and nothing writes to a received
     * command's content.
     */
    private static CodedInputStream input(byte[] content) throws InvalidProtocolBufferException {
      CodedInputStream in = UnsafeByteOperations.unsafeWrap(content).newCodedInput();
      in.enableAliasing(true);
      in.pushLimit(content.length);
      return in;
    }

    private static int count(CodedInputStream in) throws IOException {
      int count = in.readFixed32();
      if (count < 0 || count > in.getBytesUntilLimit()) {
        throw new InvalidProtocolBufferException("a count of " + count + " items");
      }
      return count;
    }

    private static <M extends Message> M readItem(CodedInputStream in, Parser<M> parser) throws IOException {
      int length = in.readFixed32();
      if (length < 0 || length > in.getBytesUntilLimit()) {
        throw new InvalidProtocolBufferException("an item of " + length + " bytes where " + in.getBytesUntilLimit() + " are left");
      }
      int limit = in.pushLimit(length);
      M item = parser.parseFrom(in);
      if (!in.isAtEnd()) {
        throw new InvalidProtocolBufferException("an item longer than its " + length + " bytes");
      }
      in.popLimit(limit);
      return item;
    }

    /** Into one array of the exact size: an append's entries are copied once, as jraft's encoder does. */
    private static byte[] encode(List<? extends Message> items, boolean withKind) {
      int size = 4;
      for (Message item : items) {
        size += (withKind ? 1 : 0) + 4 + item.getSerializedSize();
      }
      byte[] bytes = new byte[size];
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      try {
        out.writeFixed32NoTag(items.size());
        for (Message item : items) {
          if (withKind) {
            out.write(item instanceof ErrorResponse ? ERROR_RESPONSE : APPEND_ENTRIES_RESPONSE);
          }
          out.writeFixed32NoTag(item.getSerializedSize());
          item.writeTo(out);
        }
        out.checkNoSpaceLeft();
      } catch (IOException e) {
        throw new UncheckedIOException(e); // an array of the exact size does not overflow
      }
      return bytes;
    }
  }
}
