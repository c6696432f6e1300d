package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.alipay.remoting.rpc.exception.InvokeTimeoutException;
import com.alipay.sofa.jraft.rpc.RpcContext;
import com.alipay.sofa.jraft.rpc.RpcProcessor;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequest;
import com.alipay.sofa.jraft.rpc.RpcRequests.ErrorResponse;
import com.alipay.sofa.jraft.rpc.impl.core.AppendEntriesRequestProcessor;
import com.alipay.sofa.jraft.util.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Appends to a peer leave together while a batch to it awaits its answer, in the order they were
 * sent, each answer reaches its own request, a failed batch fails each of its requests without
 * stopping the appends after it, and a peer without batches gets appends alone.
 */
class AppendCoalescerTest {
  private static final long DEADLINE_S = 30;

  private final BoltLoopback bolt = new BoltLoopback();
  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void close() throws Exception {
    bolt.close();
    pool.shutdownNow();
  }

  @Test
  void appendsSentWhileTheMostBatchesAreInFlightLeaveTogetherInOrderAndEachGetsItsOwnAnswer() throws Exception {
    int held = AppendCoalescer.MAX_IN_FLIGHT;
    CountDownLatch release = new CountDownLatch(1);
    List<List<String>> batches = new CopyOnWriteArrayList<>();
    ExecutorService serverThreads = Executors.newFixedThreadPool(held + 1);
    bolt.closeLater(serverThreads::shutdownNow);
    AppendEntriesBatchProcessor real = new AppendEntriesBatchProcessor(new RaftRequestProcessors.StripedAppendEntries(pool));
    Endpoint peer = bolt.server(s -> s.registerProcessor(new RpcProcessor<AppendEntriesBatch.Request>() {
      @Override
      public void handleRequest(RpcContext context, AppendEntriesBatch.Request batch) {
        batches.add(batch.parts().stream().map(AppendEntriesRequest::getGroupId).toList());
        if (batches.size() <= held) {
          await(release); // the first batches stay in flight until the others are queued
        }
        real.handleRequest(context, batch);
      }

      @Override
      public String interest() {
        return real.interest();
      }

      @Override
      public Executor executor() {
        return serverThreads;
      }
    }));
    AppendCoalescer coalescer = new AppendCoalescer(bolt.client(), pool);

    List<CompletableFuture<Object>> answers = new ArrayList<>();
    List<List<String>> expected = new ArrayList<>();
    for (int g = 0; g < held; g++) {
      answers.add(append(coalescer, peer, "group-" + g));
      expected.add(List.of("group-" + g));
      while (batches.size() <= g) {
        Thread.sleep(5); // it left alone and reached the peer
      }
    }
    List<String> waited = new ArrayList<>();
    for (int g = held; g < held + 5; g++) {
      answers.add(append(coalescer, peer, "group-" + g));
      waited.add("group-" + g);
    }
    expected.add(waited);
    release.countDown();

    for (int g = 0; g < answers.size(); g++) {
      // No such group on the peer: jraft's own answer for that, naming the group it was meant for.
      Object answer = answers.get(g).get(DEADLINE_S, TimeUnit.SECONDS);
      assertThat(answer).isInstanceOf(ErrorResponse.class);
      assertThat(((ErrorResponse) answer).getErrorMsg()).contains("group: group-" + g);
    }
    assertThat(batches).containsExactlyElementsOf(expected);
  }

  /**
   * A peer that answers no batch: each batch's requests fail with its timeout, and later appends
   * still leave (more rounds than batches may be in flight).
   */
  @Test
  void aFailedBatchFailsEachOfItsRequestsAndTheNextStillLeaves() throws Exception {
    Endpoint peer = bolt.server(s -> s.registerProcessor(new RpcProcessor<AppendEntriesBatch.Request>() {
      @Override
      public void handleRequest(RpcContext context, AppendEntriesBatch.Request batch) {
        // never answered
      }

      @Override
      public String interest() {
        return AppendEntriesBatch.Request.class.getName();
      }
    }));
    AppendCoalescer coalescer = new AppendCoalescer(bolt.client(), pool);
    for (int round = 0; round <= AppendCoalescer.MAX_IN_FLIGHT; round++) {
      CompletableFuture<Object> answer = append(coalescer, peer, "group-" + round, 300);
      assertThatThrownBy(() -> answer.get(DEADLINE_S, TimeUnit.SECONDS)).hasCauseInstanceOf(InvokeTimeoutException.class);
    }
  }

  /**
   * A node of a version before batches (a rolling upgrade): the batch it refuses fails, and the
   * appends after it go alone and are answered by the peer's own AppendEntries processor.
   */
  @Test
  void aPeerWithoutBatchesGetsTheAppendsAfterTheRefusedBatchAlone() throws Exception {
    Endpoint peer = bolt.server(s -> s.registerProcessor(new AppendEntriesRequestProcessor(pool)));
    AppendCoalescer coalescer = new AppendCoalescer(bolt.client(), pool);
    CompletableFuture<Object> refused = append(coalescer, peer, "group-0", TimeUnit.SECONDS.toMillis(DEADLINE_S));
    assertThatThrownBy(() -> refused.get(DEADLINE_S, TimeUnit.SECONDS))
        .satisfies(e -> assertThat(AppendCoalescer.refusedAsUnknown(e)).isTrue());
    for (int g = 1; g <= AppendCoalescer.MAX_IN_FLIGHT + 1; g++) {
      Object answer = append(coalescer, peer, "group-" + g, TimeUnit.SECONDS.toMillis(DEADLINE_S)).get(DEADLINE_S, TimeUnit.SECONDS);
      assertThat(answer).isInstanceOf(ErrorResponse.class);
      assertThat(((ErrorResponse) answer).getErrorMsg()).contains("group: group-" + g);
    }
  }

  private static CompletableFuture<Object> append(AppendCoalescer coalescer, Endpoint peer, String group) {
    return append(coalescer, peer, group, TimeUnit.SECONDS.toMillis(DEADLINE_S));
  }

  private static CompletableFuture<Object> append(AppendCoalescer coalescer, Endpoint peer, String group, long timeoutMs) {
    CompletableFuture<Object> answer = new CompletableFuture<>();
    AppendEntriesRequest request = BoltLoopback.appendEntries(group, peer, "entries of " + group);
    assertThat(AppendCoalescer.carriesEntries(request)).isTrue();
    coalescer.send(peer, request, BoltLoopback.completing(answer, null), timeoutMs);
    return answer;
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
