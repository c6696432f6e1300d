package io.ordo.jraft;

import com.alipay.sofa.jraft.error.RemotingException;
import com.alipay.sofa.jraft.rpc.InvokeCallback;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequest;
import com.alipay.sofa.jraft.util.Endpoint;
import io.ordo.jraft.AppendEntriesBatch.Part;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Sends the heartbeats of a node's Raft groups to each peer together: every group's leader
 * heartbeats each follower every half second, at a thousand partitions about two thousand Bolt
 * messages a second per node, each with its own framing, hand-offs and wake-ups, most of the
 * node's idle CPU. A heartbeat waits up to {@link #WINDOW_MS} for others bound to the same peer,
 * then all leave as one {@link AppendEntriesBatch}, which the peer answers as one
 * ({@link AppendEntriesBatchProcessor}). As CockroachDB, Redpanda and Ignite do.
 *
 * <p>A batch that fails (the peer is down or slow, or does not know batches: a node of an older
 * version) is sent again heartbeat by heartbeat, as jraft would have sent them, so each group
 * sees its own heartbeat's fate.
 *
 * <p>A batch's answers run one after another on one thread. jraft would run each on its group's
 * executor for that peer, one of 16 (Append-Entries-Thread-Send): a batch of a thousand groups
 * would wake them all, for answers that only check the term and set the next heartbeat's timer
 * under the replicator's lock. Heartbeats need no order with the group's appends (probes, which
 * do, are not heartbeats: {@link #isHeartbeat}).
 */
final class HeartbeatCoalescer {
  /**
   * How long a heartbeat waits for company: small beside the heartbeat interval (500 ms) and the
   * election timeout (2 s), and read-index requests, which jraft confirms with a heartbeat round,
   * wait no longer than that.
   */
  static final long WINDOW_MS = 20;
  /** Heartbeats per batch at most; a full batch leaves at once. */
  static final int MAX_BATCH = 1_024;

  private final RpcClient client;
  private final Executor answers;
  private final ScheduledExecutorService timer;
  private final Map<Endpoint, List<Part>> outboxes = new ConcurrentHashMap<>();

  /** @param answers runs each batch's answers, one batch at a time per task */
  HeartbeatCoalescer(RpcClient client, Executor answers) {
    this.client = client;
    this.answers = answers;
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("ordo-raft-heartbeats"));
    timer.setRemoveOnCancelPolicy(true);
    this.timer = timer;
    AppendEntriesBatch.registerCodec();
  }

  /** An AppendEntries without entries or data: a heartbeat, or a probe for where a follower's log ends. */
  static boolean isHeartbeat(Object request) {
    return request instanceof AppendEntriesRequest append && append.getEntriesCount() == 0 && !append.hasData();
  }

  void send(Endpoint peer, AppendEntriesRequest heartbeat, InvokeCallback callback, long timeoutMs) {
    Part pending = Part.due(heartbeat, callback, timeoutMs);
    boolean first;
    boolean full;
    List<Part> outbox = outboxes.computeIfAbsent(peer, p -> new ArrayList<>());
    synchronized (outbox) {
      outbox.add(pending);
      first = outbox.size() == 1;
      full = outbox.size() >= MAX_BATCH;
    }
    if (full) {
      flush(peer);
    } else if (first) {
      timer.schedule(() -> flush(peer), WINDOW_MS, TimeUnit.MILLISECONDS);
    }
  }

  void shutdown() {
    timer.shutdownNow();
  }

  private void flush(Endpoint peer) {
    List<Part> outbox = outboxes.get(peer);
    List<Part> batch;
    synchronized (outbox) {
      if (outbox.isEmpty()) {
        return; // a full batch already left
      }
      batch = new ArrayList<>(outbox);
      outbox.clear();
    }
    InvokeCallback answered = new InvokeCallback() {
      @Override
      public void complete(Object result, Throwable error) {
        if (!AppendEntriesBatch.answerEach(batch, result, error)) {
          sendOneByOne(peer, batch);
        }
      }

      @Override
      public Executor executor() {
        return answers;
      }
    };
    try {
      client.invokeAsync(peer, AppendEntriesBatch.requestOf(batch), null, answered, Math.max(1, AppendEntriesBatch.remainingMs(batch)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      AppendEntriesBatch.fail(batch, new RemotingException(e));
    } catch (RemotingException | RuntimeException e) {
      sendOneByOne(peer, batch);
    }
  }

  /** The batch's heartbeats as jraft sends them, each with what is left of its own time. */
  private void sendOneByOne(Endpoint peer, List<Part> batch) {
    for (Part p : batch) {
      AppendEntriesBatch.sendAlone(client, peer, p);
    }
  }
}
