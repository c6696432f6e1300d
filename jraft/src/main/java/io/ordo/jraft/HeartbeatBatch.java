package io.ordo.jraft;

import com.alipay.remoting.CustomSerializerManager;
import com.alipay.remoting.DefaultCustomSerializer;
import com.alipay.remoting.InvokeContext;
import com.alipay.remoting.exception.DeserializationException;
import com.alipay.remoting.rpc.RequestCommand;
import com.alipay.remoting.rpc.ResponseCommand;
import com.alipay.remoting.rpc.protocol.RpcRequestCommand;
import com.alipay.remoting.rpc.protocol.RpcResponseCommand;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequest;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesResponse;
import com.alipay.sofa.jraft.rpc.RpcRequests.ErrorResponse;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The heartbeats of many Raft groups from one node to another in one Bolt message, and their
 * answers in one (see {@link HeartbeatCoalescer}). On the wire each is a count, then per item a
 * kind byte (answers only), a length and jraft's own protobuf encoding of the item.
 */
final class HeartbeatBatch {
  private static final byte APPEND_ENTRIES_RESPONSE = 0;
  private static final byte ERROR_RESPONSE = 1;

  private HeartbeatBatch() {}

  /** Heartbeats (and probes: empty AppendEntries) of partition groups, in the order they were sent. */
  record Request(List<AppendEntriesRequest> heartbeats) {}

  /** One answer per heartbeat, in the same order: an AppendEntriesResponse or jraft's ErrorResponse. */
  record Replies(List<Message> answers) {}

  /** Makes Bolt encode both with {@link Codec}, once per JVM (both ends must). */
  static synchronized void registerCodec() {
    for (Class<?> type : List.of(Request.class, Replies.class)) {
      if (CustomSerializerManager.getCustomSerializer(type.getName()) == null) {
        CustomSerializerManager.registerCustomSerializer(type.getName(), Codec.INSTANCE);
      }
    }
  }

  private static final class Codec extends DefaultCustomSerializer {
    static final Codec INSTANCE = new Codec();

    @Override
    public <T extends RequestCommand> boolean serializeContent(T command, InvokeContext context) {
      RpcRequestCommand request = (RpcRequestCommand) command;
      List<AppendEntriesRequest> heartbeats = ((Request) request.getRequestObject()).heartbeats();
      request.setContent(encode(heartbeats, m -> -1));
      return true;
    }

    @Override
    public <T extends ResponseCommand> boolean serializeContent(T command) {
      RpcResponseCommand response = (RpcResponseCommand) command;
      List<Message> answers = ((Replies) response.getResponseObject()).answers();
      response.setContent(encode(answers, m -> m instanceof ErrorResponse ? ERROR_RESPONSE : APPEND_ENTRIES_RESPONSE));
      return true;
    }

    @Override
    public <T extends RequestCommand> boolean deserializeContent(T command) throws DeserializationException {
      RpcRequestCommand request = (RpcRequestCommand) command;
      try {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(request.getContent()));
        int count = in.readInt();
        List<AppendEntriesRequest> heartbeats = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          heartbeats.add(AppendEntriesRequest.parseFrom(readItem(in)));
        }
        request.setRequestObject(new Request(heartbeats));
        return true;
      } catch (IOException e) {
        throw new DeserializationException("a malformed heartbeat batch: " + e.getMessage());
      }
    }

    @Override
    public <T extends ResponseCommand> boolean deserializeContent(T command, InvokeContext context)
        throws DeserializationException {
      RpcResponseCommand response = (RpcResponseCommand) command;
      try {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(response.getContent()));
        int count = in.readInt();
        List<Message> answers = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          byte kind = in.readByte();
          byte[] item = readItem(in);
          answers.add(kind == ERROR_RESPONSE ? ErrorResponse.parseFrom(item) : AppendEntriesResponse.parseFrom(item));
        }
        response.setResponseObject(new Replies(answers));
        return true;
      } catch (IOException e) {
        throw new DeserializationException("malformed heartbeat answers: " + e.getMessage());
      }
    }

    private static byte[] readItem(DataInputStream in) throws IOException {
      int length = in.readInt();
      if (length < 0 || length > in.available()) {
        throw new InvalidProtocolBufferException("an item of " + length + " bytes where " + in.available() + " are left");
      }
      byte[] item = new byte[length];
      in.readFully(item);
      return item;
    }

    /** {@code kind} gives each item's kind byte, or -1 for none. */
    private static byte[] encode(List<? extends Message> items, ToIntFunction<Message> kind) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * items.size() + 4);
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeInt(items.size());
        for (Message item : items) {
          int k = kind.applyAsInt(item);
          if (k >= 0) {
            out.writeByte(k);
          }
          byte[] encoded = item.toByteArray();
          out.writeInt(encoded.length);
          out.write(encoded);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
      }
      return bytes.toByteArray();
    }
  }
}
