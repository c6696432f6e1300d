package com.alipay.sofa.jraft.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.error.RaftError;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Ordo's stand-in for jraft's RpcUtils (see its doc). */
class RpcUtilsTest {
  private static final long DEADLINE_SECONDS = 30;

  @Test
  void tasksWaitForAFewThreadsInsteadOfStartingOneEach() throws Exception {
    int tasks = 50;
    CountDownLatch release = new CountDownLatch(1);
    Set<Thread> ran = ConcurrentHashMap.newKeySet();
    // jraft's own pool starts a thread for every task that finds all busy: 50 here.
    Future<?>[] futures = IntStream.range(0, tasks).mapToObj(i -> RpcUtils.runInThread(() -> {
      ran.add(Thread.currentThread());
      try {
        release.await(DEADLINE_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    })).toArray(Future<?>[]::new);
    release.countDown();
    for (Future<?> future : futures) {
      future.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }
    assertThat(ran).hasSizeLessThanOrEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(ran).allMatch(t -> t.getName().startsWith("JRaft-Rpc-Closure-Executor-") && t.isDaemon());
  }

  @Test
  void closuresGetTheirStatusOnThePoolOrTheGivenExecutor() throws Exception {
    CompletableFuture<String> onPool = new CompletableFuture<>();
    RpcUtils.runClosureInExecutor(null, status -> onPool.complete(status.getErrorMsg() + " on " + Thread.currentThread().getName()),
        new Status(RaftError.EAGAIN, "busy"));
    assertThat(onPool.get(DEADLINE_SECONDS, TimeUnit.SECONDS)).startsWith("busy on JRaft-Rpc-Closure-Executor-");

    CompletableFuture<Boolean> onExecutor = new CompletableFuture<>();
    RpcUtils.runClosureInExecutor(Runnable::run, status -> onExecutor.complete(status.isOk()), Status.OK());
    assertThat(onExecutor).isCompletedWithValue(true);

    // A closure that throws is logged; the pool goes on.
    RpcUtils.runClosureInThread(status -> {
      throw new IllegalStateException("planted");
    }).get(DEADLINE_SECONDS, TimeUnit.SECONDS);
    CompletableFuture<Boolean> after = new CompletableFuture<>();
    RpcUtils.runClosureInThread(status -> after.complete(status.isOk()));
    assertThat(after.get(DEADLINE_SECONDS, TimeUnit.SECONDS)).isTrue();
  }
}
