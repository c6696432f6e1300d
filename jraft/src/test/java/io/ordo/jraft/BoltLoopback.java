package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.rpc.InvokeCallback;
import com.alipay.sofa.jraft.rpc.ProtobufMsgFactory;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequest;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcClient;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcServer;
import com.alipay.sofa.jraft.util.Endpoint;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Real Bolt servers and clients on loopback for the coalescers' tests, and the AppendEntries
 * requests they send: closes what it started.
 */
final class BoltLoopback implements AutoCloseable {
  static {
    ProtobufMsgFactory.load(); // jraft's own messages on the wire, as a node's Raft server loads them
  }

  private final List<AutoCloseable> toClose = new ArrayList<>();

  /** A Bolt server on a free loopback port with the processors {@code processors} registers. */
  Endpoint server(Consumer<RpcServer> processors) throws IOException {
    int port = LoopbackPorts.free();
    RpcServer server = new BoltRpcServer(new com.alipay.remoting.rpc.RpcServer("127.0.0.1", port, true));
    processors.accept(server);
    assertThat(server.init(null)).isTrue();
    toClose.add(server::shutdown);
    return new Endpoint("127.0.0.1", port);
  }

  BoltRpcClient client() {
    BoltRpcClient client = new BoltRpcClient(new com.alipay.remoting.rpc.RpcClient());
    client.init(new RpcOptions());
    toClose.add(client::shutdown);
    return client;
  }

  /** Closed with the rest, in the order added. */
  void closeLater(AutoCloseable c) {
    toClose.add(c);
  }

  /**
   * An AppendEntries of {@code group} to {@code peer}, which has no such group: jraft answers it
   * with an error naming the group. A heartbeat if {@code entries} is null.
   */
  static AppendEntriesRequest appendEntries(String group, Endpoint peer, String entries) {
    AppendEntriesRequest.Builder request = AppendEntriesRequest.newBuilder()
        .setGroupId(group)
        .setServerId("127.0.0.1:1:0")
        .setPeerId(peer + ":0")
        .setTerm(1)
        .setPrevLogIndex(0)
        .setPrevLogTerm(0)
        .setCommittedIndex(0);
    if (entries != null) {
      request.setData(ByteString.copyFromUtf8(entries));
    }
    return request.build();
  }

  /** A callback that completes {@code answer} with the result or the error; run on {@code executor} (null: none). */
  static InvokeCallback completing(CompletableFuture<Object> answer, Executor executor) {
    return new InvokeCallback() {
      @Override
      public void complete(Object result, Throwable error) {
        if (error != null) {
          answer.completeExceptionally(error);
        } else {
          answer.complete(result);
        }
      }

      @Override
      public Executor executor() {
        return executor;
      }
    };
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }
}
