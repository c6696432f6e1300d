package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.RaftGroupService;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.core.StateMachineAdapter;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.entity.Task;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.rpc.Connection;
import com.alipay.sofa.jraft.rpc.RpcContext;
import com.alipay.sofa.jraft.rpc.RpcProcessor;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequest;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesResponse;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcServer;
import com.alipay.sofa.jraft.rpc.impl.ConnectionClosedEventListener;
import com.google.protobuf.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real Raft groups of three replicas on three servers in this JVM: every write of both groups,
 * written at once, reaches every replica in order, and the appends travelled in batches
 * ({@link AppendCoalescer}), none alone.
 */
class ReplicationInBatchesTest {
  private static final long DEADLINE_MS = 60_000;
  private static final int NODES = 3;
  private static final List<String> GROUPS = List.of("batched-a", "batched-b");
  private static final int WRITES = 300;
  /** Writes of each group proposed before waiting for them: jraft's proposal queue of a group holds 128. */
  private static final int WRITES_AT_ONCE = 50;

  @TempDir Path dir;

  private final ExecutorService requests = Executors.newFixedThreadPool(2);
  private final List<RpcServer> servers = new ArrayList<>();
  private final List<RaftGroupService> services = new ArrayList<>();
  private final AtomicInteger appendsInBatches = new AtomicInteger();
  private final AtomicInteger appendsAlone = new AtomicInteger();
  /** Answers to appends in batches that refuse them: a group's appends taken out of order would be. */
  private final List<Message> appendsRefused = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    for (RaftGroupService service : services) {
      service.shutdown();
    }
    for (RaftGroupService service : services) {
      try {
        service.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    servers.forEach(RpcServer::shutdown);
    requests.shutdownNow();
  }

  @Test
  void everyWriteOfEveryGroupReachesEveryReplicaInOrder() throws Exception {
    List<PeerId> peers = new ArrayList<>();
    for (int n = 0; n < NODES; n++) {
      int port = LoopbackPorts.free();
      RpcServer server = new Counting(new BoltRpcServer(new com.alipay.remoting.rpc.RpcServer("127.0.0.1", port, true)));
      RaftRequestProcessors.register(server, requests, requests);
      assertThat(server.init(null)).isTrue();
      servers.add(server);
      peers.add(new PeerId("127.0.0.1", port));
    }
    List<List<List<String>>> applied = new ArrayList<>(); // per group, per replica
    List<List<Node>> nodes = new ArrayList<>();
    for (String group : GROUPS) {
      List<List<String>> replicas = new ArrayList<>();
      List<Node> groupNodes = new ArrayList<>();
      for (int n = 0; n < NODES; n++) {
        List<String> log = new CopyOnWriteArrayList<>();
        replicas.add(log);
        groupNodes.add(start(group, peers, n, log));
      }
      applied.add(replicas);
      nodes.add(groupNodes);
    }

    List<Node> leaders = new ArrayList<>();
    for (List<Node> groupNodes : nodes) {
      leaders.add(leaderOf(groupNodes));
    }
    List<List<String>> expected = new ArrayList<>();
    GROUPS.forEach(g -> expected.add(new ArrayList<>()));
    for (int round = 0; round < WRITES / WRITES_AT_ONCE; round++) {
      List<CompletableFuture<Status>> writes = new ArrayList<>();
      for (int g = 0; g < GROUPS.size(); g++) {
        for (int i = 0; i < WRITES_AT_ONCE; i++) {
          String value = GROUPS.get(g) + "-" + (round * WRITES_AT_ONCE + i);
          expected.get(g).add(value);
          CompletableFuture<Status> write = new CompletableFuture<>();
          leaders.get(g).apply(new Task(ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)), write::complete));
          writes.add(write);
        }
      }
      for (CompletableFuture<Status> write : writes) {
        Status status = write.get(DEADLINE_MS, TimeUnit.MILLISECONDS);
        assertThat(status.isOk()).as("%s", status).isTrue();
      }
    }
    long deadline = System.currentTimeMillis() + DEADLINE_MS;
    for (int g = 0; g < GROUPS.size(); g++) {
      for (List<String> replica : applied.get(g)) {
        while (replica.size() < WRITES && System.currentTimeMillis() < deadline) {
          Thread.sleep(20); // a follower applies what the leader's next message says is committed
        }
        assertThat(replica).containsExactlyElementsOf(expected.get(g));
      }
    }
    assertThat(appendsInBatches).hasPositiveValue();
    assertThat(appendsAlone).as("appends with entries sent alone").hasValue(0);
    assertThat(appendsRefused).isEmpty();
  }

  private Node start(String group, List<PeerId> peers, int n, List<String> log) throws IOException {
    NodeOptions options = new NodeOptions();
    options.setElectionTimeoutMs(3_000);
    options.setInitialConf(new Configuration(peers));
    options.setFsm(new StateMachineAdapter() {
      @Override
      public void onApply(Iterator iter) {
        while (iter.hasNext()) {
          log.add(StandardCharsets.UTF_8.decode(iter.getData()).toString());
          if (iter.done() != null) {
            iter.done().run(Status.OK());
          }
          iter.next();
        }
      }
    });
    Path base = Files.createDirectories(dir.resolve(group).resolve("node-" + n));
    options.setLogUri(base.resolve("log").toString());
    options.setRaftMetaUri(base.resolve("meta").toString());
    options.setSnapshotUri(base.resolve("snapshot").toString());
    RaftGroupService service = new RaftGroupService(group, peers.get(n), options, servers.get(n), true);
    services.add(service);
    return service.start(false);
  }

  private static Node leaderOf(List<Node> nodes) throws InterruptedException {
    long deadline = System.currentTimeMillis() + DEADLINE_MS;
    while (true) {
      for (Node node : nodes) {
        if (node.isLeader()) {
          return node;
        }
      }
      assertThat(System.currentTimeMillis()).as("a leader within %d ms", DEADLINE_MS).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  /** A Raft server that counts the appends with entries it takes, in batches and alone. */
  private final class Counting implements RpcServer {
    private final RpcServer server;

    Counting(RpcServer server) {
      this.server = server;
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void registerProcessor(RpcProcessor<?> processor) {
      if (processor.interest().equals(AppendEntriesBatch.Request.class.getName())) {
        RpcProcessor<AppendEntriesBatch.Request> batches = (RpcProcessor<AppendEntriesBatch.Request>) processor;
        server.registerProcessor(new Delegate<>(batches, batch -> {
          appendsInBatches.addAndGet((int) batch.parts().stream().filter(AppendCoalescer::carriesEntries).count());
        }, answer -> {
          for (Message part : ((AppendEntriesBatch.Replies) answer).answers()) {
            if (!(part instanceof AppendEntriesResponse response && response.getSuccess())) {
              appendsRefused.add(part);
            }
          }
        }));
      } else if (processor.interest().equals(AppendEntriesRequest.class.getName())) {
        RpcProcessor<AppendEntriesRequest> appends = (RpcProcessor<AppendEntriesRequest>) processor;
        server.registerProcessor(new Delegate<>(appends, request -> {
          if (AppendCoalescer.carriesEntries(request)) {
            appendsAlone.incrementAndGet();
          }
        }, answer -> {}));
      } else {
        server.registerProcessor(processor);
      }
    }

    @Override
    public void registerConnectionClosedEventListener(ConnectionClosedEventListener listener) {
      server.registerConnectionClosedEventListener(listener);
    }

    @Override
    public int boundPort() {
      return server.boundPort();
    }

    @Override
    public boolean init(Void options) {
      return server.init(options);
    }

    @Override
    public void shutdown() {
      server.shutdown();
    }

    @Override
    public boolean isStarted() {
      return server.isStarted();
    }
  }

  /** A processor that shows {@code seen} each request and {@code answered} each answer. */
  private record Delegate<T>(RpcProcessor<T> processor, Consumer<T> seen, Consumer<Object> answered) implements RpcProcessor<T> {
    @Override
    public void handleRequest(RpcContext context, T request) {
      seen.accept(request);
      processor.handleRequest(new RpcContext() {
        @Override
        public void sendResponse(Object answer) {
          answered.accept(answer);
          context.sendResponse(answer);
        }

        @Override
        public Connection getConnection() {
          return context.getConnection();
        }

        @Override
        public String getRemoteAddress() {
          return context.getRemoteAddress();
        }
      }, request);
    }

    @Override
    public String interest() {
      return processor.interest();
    }

    @Override
    public Executor executor() {
      return processor.executor();
    }

    @Override
    public ExecutorSelector executorSelector() {
      return processor.executorSelector();
    }
  }
}
