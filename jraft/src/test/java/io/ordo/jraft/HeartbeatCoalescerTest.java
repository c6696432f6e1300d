package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.rpc.RpcRequests.ErrorResponse;
import com.alipay.sofa.jraft.rpc.impl.core.AppendEntriesRequestProcessor;
import com.alipay.sofa.jraft.util.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Heartbeats leave in batches, each answer reaches its own heartbeat, and a peer without batches still answers. */
class HeartbeatCoalescerTest {
  private final BoltLoopback bolt = new BoltLoopback();
  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void close() throws Exception {
    bolt.close();
    pool.shutdownNow();
  }

  @Test
  void eachHeartbeatOfABatchGetsItsOwnGroupsAnswer() throws Exception {
    Endpoint peer = bolt.server(s -> s.registerProcessor(new AppendEntriesBatchProcessor(new RaftRequestProcessors.StripedAppendEntries(pool))));
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
    Endpoint peer = bolt.server(s -> s.registerProcessor(new AppendEntriesBatchProcessor(new RaftRequestProcessors.StripedAppendEntries(pool))));
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
    Endpoint peer = bolt.server(s -> s.registerProcessor(new AppendEntriesRequestProcessor(pool)));
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
    HeartbeatCoalescer coalescer = new HeartbeatCoalescer(bolt.client(), pool);
    bolt.closeLater(coalescer::shutdown);
    List<CompletableFuture<Object>> answers = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      CompletableFuture<Object> answer = new CompletableFuture<>();
      answers.add(answer);
      coalescer.send(peer, BoltLoopback.appendEntries("group-" + g, peer, null), BoltLoopback.completing(answer, groupExecutor), 10_000);
    }
    return answers;
  }
}
