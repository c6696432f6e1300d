package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.RaftGroupService;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.closure.ReadIndexClosure;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.core.StateMachineAdapter;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.entity.Task;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcServer;
import com.alipay.sofa.jraft.util.Endpoint;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One real jraft group on this module's shared threads: it elects, applies, reads and stops. */
class JraftOnSharedThreadsTest {
  private static final long DEADLINE_MS = 60_000;

  @TempDir Path dir;

  @Test
  void aGroupRunsWithNoThreadOfItsOwn() throws Exception {
    Endpoint endpoint = new Endpoint("127.0.0.1", LoopbackPorts.free());
    RpcServer server = new BoltRpcServer(new com.alipay.remoting.rpc.RpcServer("127.0.0.1", endpoint.getPort(), true));
    ExecutorService requests = Executors.newFixedThreadPool(2);
    RaftRequestProcessors.register(server, requests, requests);
    assertThat(server.init(null)).isTrue();
    AtomicLong applied = new AtomicLong();
    NodeOptions options = new NodeOptions();
    options.setElectionTimeoutMs(1_000);
    options.setInitialConf(new Configuration(List.of(new PeerId(endpoint, 0))));
    options.setFsm(new StateMachineAdapter() {
      @Override
      public void onApply(Iterator iter) {
        while (iter.hasNext()) {
          applied.incrementAndGet();
          if (iter.done() != null) {
            iter.done().run(Status.OK());
          }
          iter.next();
        }
      }
    });
    options.setLogUri(dir.resolve("log").toString());
    options.setRaftMetaUri(dir.resolve("meta").toString());
    options.setSnapshotUri(dir.resolve("snapshot").toString());
    RaftGroupService service = new RaftGroupService("shared", new PeerId(endpoint, 0), options, server, true);
    Node node = service.start(false);
    try {
      assertThat(SharedReadIndexScan.adopt(node)).as("adopted (jraft's private fields are as 1.4.1 has them)").isTrue();
      long deadline = System.currentTimeMillis() + DEADLINE_MS;
      while (!node.isLeader()) {
        assertThat(System.currentTimeMillis()).as("elected within %d ms", DEADLINE_MS).isLessThan(deadline);
        Thread.sleep(20);
      }

      CompletableFuture<Status> write = new CompletableFuture<>();
      node.apply(new Task(ByteBuffer.wrap(new byte[] {1}), write::complete));
      assertThat(write.get(DEADLINE_MS, TimeUnit.MILLISECONDS).isOk()).isTrue();
      assertThat(applied).hasValue(1);

      CompletableFuture<Status> read = new CompletableFuture<>();
      node.readIndex(new byte[0], new ReadIndexClosure() {
        @Override
        public void run(Status status, long index, byte[] reqCtx) {
          read.complete(status);
        }
      });
      assertThat(read.get(DEADLINE_MS, TimeUnit.MILLISECONDS).isOk()).isTrue();

      // The group's read-index scanner was started, then stopped by adopt: give it a moment to end.
      while (threadsNamed("ReadOnlyService-PendingNotify-Scanner") > 0) {
        assertThat(System.currentTimeMillis()).isLessThan(deadline);
        Thread.sleep(20);
      }
      assertThat(threadsNamed("-Disruptor-")).as("jraft's per-group event-queue threads").isZero();
      assertThat(threadsNamed("AppendEntriesThread")).isZero();
    } finally {
      SharedReadIndexScan.release(node);
      service.shutdown();
      service.join();
      server.shutdown();
      requests.shutdownNow();
    }
  }

  private static long threadsNamed(String part) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().contains(part)).count();
  }

}
