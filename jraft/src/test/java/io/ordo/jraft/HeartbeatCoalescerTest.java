package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.rpc.ProtobufMsgFactory;
import com.alipay.sofa.jraft.rpc.InvokeCallback;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequest;
import com.alipay.sofa.jraft.rpc.RpcRequests.ErrorResponse;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcClient;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcServer;
import com.alipay.sofa.jraft.rpc.impl.core.AppendEntriesRequestProcessor;
import com.alipay.sofa.jraft.util.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Heartbeats leave in batches, each answer reaches its own heartbeat, and a peer without batches still answers. */
class HeartbeatCoalescerTest {
  static {
    ProtobufMsgFactory.load(); // jraft's own messages on the wire, as a node's Raft server loads them
  }

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    pool.shutdownNow();
  }

  @Test
  void eachHeartbeatOfABatchGetsItsOwnGroupsAnswer() throws Exception {
    Endpoint peer = server(s -> s.registerProcessor(new AppendEntriesBatchProcessor(new RaftRequestProcessors.StripedAppendEntries(pool))));
    List<CompletableFuture<Object>> answers = sendHeartbeats(peer, 5);
    for (int g = 0; g < 5; g++) {
      // No such group on the peer: jraft's own answer for that, naming the group it was meant for.
      Object answer = answers.get(g).get(30, TimeUnit.SECONDS);
      assertThat(answer).isInstanceOf(ErrorResponse.class);
      assertThat(((ErrorResponse) answer).getErrorMsg()).contains("group: group-" + g);
    }
  }

  /** A batch's answers run on the coalescer's thread: jraft's executor of each group (one of 16) is not woken. */
  @Test
  void aBatchsAnswersRunOnOneThreadNotOnEachGroupsExecutor() throws Exception {
    Endpoint peer = server(s -> s.registerProcessor(new AppendEntriesBatchProcessor(new RaftRequestProcessors.StripedAppendEntries(pool))));
    AtomicInteger groupExecutorRuns = new AtomicInteger();
    List<CompletableFuture<Object>> answers = sendHeartbeats(peer, 5, task -> {
      groupExecutorRuns.incrementAndGet();
      task.run();
    });
    for (CompletableFuture<Object> answer : answers) {
      answer.get(30, TimeUnit.SECONDS);
    }
    assertThat(groupExecutorRuns).hasValue(0);
  }

  /** A node of a version without batches: each heartbeat is then sent alone and answered alone. */
  @Test
  void aPeerThatDoesNotKnowBatchesGetsTheHeartbeatsOneByOne() throws Exception {
    Endpoint peer = server(s -> s.registerProcessor(new AppendEntriesRequestProcessor(pool)));
    List<CompletableFuture<Object>> answers = sendHeartbeats(peer, 3);
    for (int g = 0; g < 3; g++) {
      Object answer = answers.get(g).get(30, TimeUnit.SECONDS);
      assertThat(answer).isInstanceOf(ErrorResponse.class);
      assertThat(((ErrorResponse) answer).getErrorMsg()).contains("group: group-" + g);
    }
  }

  private List<CompletableFuture<Object>> sendHeartbeats(Endpoint peer, int groups) {
    return sendHeartbeats(peer, groups, null);
  }

  /** @param groupExecutor each heartbeat callback's executor, as jraft gives one; null: none */
  private List<CompletableFuture<Object>> sendHeartbeats(Endpoint peer, int groups, Executor groupExecutor) {
    BoltRpcClient client = new BoltRpcClient(new com.alipay.remoting.rpc.RpcClient());
    client.init(new RpcOptions());
    toClose.add(client::shutdown);
    HeartbeatCoalescer coalescer = new HeartbeatCoalescer(client, pool);
    toClose.add(coalescer::shutdown);
    List<CompletableFuture<Object>> answers = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      CompletableFuture<Object> answer = new CompletableFuture<>();
      answers.add(answer);
      AppendEntriesRequest heartbeat = AppendEntriesRequest.newBuilder()
          .setGroupId("group-" + g)
          .setServerId("127.0.0.1:1:0")
          .setPeerId(peer + ":0")
          .setTerm(1)
          .setPrevLogIndex(0)
          .setPrevLogTerm(0)
          .setCommittedIndex(0)
          .build();
      coalescer.send(peer, heartbeat, new InvokeCallback() {
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
          return groupExecutor;
        }
      }, 10_000);
    }
    return answers;
  }

  private Endpoint server(Consumer<RpcServer> processors) throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    RpcServer server = new BoltRpcServer(new com.alipay.remoting.rpc.RpcServer("127.0.0.1", port, true));
    processors.accept(server);
    assertThat(server.init(null)).isTrue();
    toClose.add(server::shutdown);
    return new Endpoint("127.0.0.1", port);
  }
}
