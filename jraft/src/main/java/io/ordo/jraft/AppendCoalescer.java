package io.ordo.jraft;

import com.alipay.sofa.jraft.error.RemotingException;
import com.alipay.sofa.jraft.rpc.InvokeCallback;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequest;
import com.alipay.sofa.jraft.util.Endpoint;
import io.ordo.jraft.AppendEntriesBatch.Part;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Sends the appends (AppendEntries with entries) of a node's Raft groups to each peer together, as
 * a Kafka follower fetches every partition it follows from a leader's broker in one request: while
 * {@link #MAX_IN_FLIGHT} batches to a peer await their answers, what the groups send to it waits,
 * and leaves as one {@link AppendEntriesBatch} when one of them is answered. No timer: an append to
 * an idle peer leaves at once, and under load each round trip carries what arrived during the last.
 * jraft sends each append alone, and each costs its framing, a write wake-up of the connection's
 * I/O thread, and on the peer a read, a hand-off and an answer of its own; on a 2-core machine
 * each wake-up is also a wait for a CPU.
 *
 * <p>A group's appends leave in the order it sent them (jraft pipelines a group's appends and the
 * peer must take them in order): one queue per peer, batches of consecutive requests, handed to
 * the connection under the queue's lock. A batch's answers run on one thread, one after another,
 * not each on the executor jraft gave its request (one wake-up per batch, not per request). A batch
 * that fails fails each of its requests with that error, as a lone request's failure would: the
 * group's replicator then probes the peer again and resends from where the peer's log ends.
 *
 * <p>A peer of a version before batches refuses them (Bolt finds no processor for them): appends
 * to it then go alone for {@link #SEND_ALONE_MS}, so a rolling upgrade does not stall replication
 * to the nodes not yet upgraded.
 *
 * <p>Bounds: a batch carries at most {@link #MAX_BATCH_BYTES} (or one larger request); what waits
 * is bounded by jraft, which keeps at most {@code maxReplicatorInflightMsgs} requests of a group to
 * a peer unanswered.
 */
final class AppendCoalescer {
  /**
   * Batches to one peer awaiting answers before further appends to it wait for one of them: with
   * one, a write waited a whole round trip (the peer's fsync included) behind the batch before it,
   * and 6 partitions wrote 8% less unthrottled (bench/ab.sh, every pair).
   */
  static final int MAX_IN_FLIGHT = 4;
  /** A batch's size at most, in encoded bytes of its requests (jraft's maxBodySize is 4 MiB). */
  static final int MAX_BATCH_BYTES = 8 * 1024 * 1024;
  /**
   * How long appends to a peer that refused a batch for want of its processor (a node of a version
   * before batches, during a rolling upgrade) go alone, as jraft sends them, before a batch is
   * tried again: each try costs the refused batch's appends one failed round, which their groups'
   * replicators repair by probing, as after any failed append.
   */
  static final long SEND_ALONE_MS = 60_000;

  private final RpcClient client;
  private final Executor answers;
  private final Map<Endpoint, Outbox> outboxes = new ConcurrentHashMap<>();

  /** A peer's appends waiting to leave, and how many batches to it await answers; guarded by itself. */
  private static final class Outbox {
    final ArrayDeque<Part> waiting = new ArrayDeque<>();
    int inFlight;
    /** Until when appends to the peer go alone (System.nanoTime()); 0: in batches. */
    long aloneUntilNanos;

    boolean sendsAlone() {
      return aloneUntilNanos != 0 && System.nanoTime() - aloneUntilNanos < 0;
    }

    /** The next batch, if one may leave now. */
    List<Part> takeBatch() {
      if (inFlight >= MAX_IN_FLIGHT || waiting.isEmpty()) {
        return null;
      }
      List<Part> batch = new ArrayList<>();
      long bytes = 0;
      while (!waiting.isEmpty()) {
        int size = waiting.peek().request().getSerializedSize();
        if (!batch.isEmpty() && bytes + size > MAX_BATCH_BYTES) {
          break;
        }
        batch.add(waiting.poll());
        bytes += size;
      }
      inFlight++;
      return batch;
    }
  }

  /**
   * @param answers runs each batch's answers, one after another (jraft's replicator takes a
   *     group's answers in any order: it puts them back in order by its own sequence numbers),
   *     and sends the next batch
   */
  AppendCoalescer(RpcClient client, Executor answers) {
    this.client = client;
    this.answers = answers;
    AppendEntriesBatch.registerCodec();
  }

  /** An AppendEntries that carries entries (not a heartbeat or a probe). */
  static boolean carriesEntries(Object request) {
    return request instanceof AppendEntriesRequest append && (append.getEntriesCount() > 0 || append.hasData());
  }

  void send(Endpoint peer, AppendEntriesRequest request, InvokeCallback callback, long timeoutMs) {
    Outbox outbox = outboxes.computeIfAbsent(peer, p -> new Outbox());
    synchronized (outbox) {
      outbox.waiting.add(Part.due(request, callback, timeoutMs));
      if (outbox.sendsAlone()) {
        sendAlone(peer, outbox);
      } else {
        sendWhileAllowed(peer, outbox);
      }
    }
  }

  /**
   * Whether the peer refused the batch because it has no processor for batches: then nothing of
   * it reached a group, and the peer will take its appends one by one.
   */
  static boolean refusedAsUnknown(Throwable error) {
    String refusal = "No user processor found for request: " + AppendEntriesBatch.Request.class.getName(); // Bolt's words
    for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
      if (e.getMessage() != null && e.getMessage().contains(refusal)) {
        return true;
      }
    }
    return false;
  }

  /** Sends what waits for the peer as jraft would, each request alone; under the outbox's lock, in order. */
  private void sendAlone(Endpoint peer, Outbox outbox) {
    Part p;
    while ((p = outbox.waiting.poll()) != null) {
      AppendEntriesBatch.sendAlone(client, peer, p);
    }
  }

  /**
   * Sends batches while the peer may take more; under the outbox's lock, so batches reach the
   * connection in the order they were taken, and with them each group's appends.
   */
  private void sendWhileAllowed(Endpoint peer, Outbox outbox) {
    List<Part> batch;
    while ((batch = outbox.takeBatch()) != null) {
      if (!sent(peer, outbox, batch)) {
        outbox.inFlight--;
      }
    }
  }

  /** Whether the batch left; if not, its requests have failed. */
  private boolean sent(Endpoint peer, Outbox outbox, List<Part> batch) {
    InvokeCallback answered = new InvokeCallback() {
      @Override
      public void complete(Object result, Throwable error) {
        if (refusedAsUnknown(error)) {
          // Before the refused requests fail: what their callbacks send at once must go alone.
          synchronized (outbox) {
            outbox.aloneUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SEND_ALONE_MS);
          }
        }
        if (!AppendEntriesBatch.answerEach(batch, result, error)) {
          AppendEntriesBatch.fail(batch, error != null
              ? error
              : new RemotingException("a malformed answer to an AppendEntries batch from " + peer + ": " + result));
        }
        synchronized (outbox) {
          outbox.inFlight--;
          if (outbox.sendsAlone()) {
            sendAlone(peer, outbox);
          } else {
            sendWhileAllowed(peer, outbox);
          }
        }
      }

      /**
       * Not Bolt's I/O thread: a send from the connection's own event loop is written at once,
       * ahead of batches other threads sent before it and the loop has not written yet.
       */
      @Override
      public Executor executor() {
        return answers;
      }
    };
    long left = AppendEntriesBatch.remainingMs(batch);
    try {
      if (left <= 0) {
        throw new RemotingException("appends to " + peer + " timed out waiting to leave");
      }
      client.invokeAsync(peer, AppendEntriesBatch.requestOf(batch), null, answered, left);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      AppendEntriesBatch.fail(batch, new RemotingException(e));
    } catch (RemotingException | RuntimeException e) {
      AppendEntriesBatch.fail(batch, e);
    }
    return false;
  }
}
