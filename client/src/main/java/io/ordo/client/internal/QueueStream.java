package io.ordo.client.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.ordo.client.OrdoException;
import io.ordo.proto.v1.ConsumeCredit;
import io.ordo.proto.v1.ConsumeOpen;
import io.ordo.proto.v1.ConsumeRequest;
import io.ordo.proto.v1.ConsumeResponse;
import io.ordo.proto.v1.ConsumeSettle;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.LeasedRecord;
import io.ordo.proto.v1.QueueServiceGrpc;
import io.ordo.proto.v1.RecordSettlement;
import io.ordo.proto.v1.SettleOutcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Consume stream of a {@link QueueMember} to a partition's leader: it grants credit, takes the
 * records the leader leases ahead, and carries settlements with an id each. Sending, ending and
 * cancelling hold the stream's monitor: a gRPC call is not thread-safe, and a settle that timed
 * out cancels its stream from a timer thread; gRPC's callback thread receives. A stream that ended
 * stays ended: the member opens a new one.
 */
final class QueueStream {
  /** Where a stream's records and its end go. */
  interface Listener {
    void onRecords(QueueStream from, List<LeasedRecord> records);

    void onEnded(QueueStream stream, OrdoException error);
  }

  final int partition;
  private final ClientCall<ConsumeRequest, ConsumeResponse> call;
  private final Listener listener;
  private final Map<Long, CompletableFuture<List<SettleOutcome>>> settling = new ConcurrentHashMap<>();
  /**
   * How long a credit stays good at the leader: a consumer that stops receiving (a stuck worker)
   * stops taking records soon after, before the leases of those it took end (a second at least,
   * as a rule), so it does not take them again. A receive that waits renews it.
   */
  static final Duration CREDIT_TTL = Duration.ofSeconds(1);

  /** Records the leader may still deliver. */
  private final AtomicInteger credit = new AtomicInteger();
  /** Until when (System.nanoTime) the credit is good; the member's thread only. */
  private long creditGoodUntilNanos = System.nanoTime();
  private long nextSettleId;
  private volatile long lastHeardNanos = System.nanoTime();
  private volatile OrdoException ended;
  /** Set by {@link #cancel}, after which nothing may be sent on the call. Guarded by this. */
  private boolean cancelled;

  private QueueStream(int partition, ClientCall<ConsumeRequest, ConsumeResponse> call, Listener listener) {
    this.partition = partition;
    this.call = call;
    this.listener = listener;
  }

  /** Opens a stream on {@code channel} to the leader of {@code open}'s partition. */
  static QueueStream open(Channel channel, ConsumeOpen open, Listener listener) {
    QueueStream stream = new QueueStream(
        open.getPartition(), channel.newCall(QueueServiceGrpc.getConsumeMethod(), CallOptions.DEFAULT), listener);
    stream.start(open);
    return stream;
  }

  private void start(ConsumeOpen open) {
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(ConsumeResponse message) {
        lastHeardNanos = System.nanoTime();
        switch (message.getResponseCase()) {
          case DELIVERIES -> {
            // Not below 0: deliveries the leader sent before a credit ran out may come after.
            int delivered = message.getDeliveries().getRecordsCount();
            credit.updateAndGet(c -> Math.max(0, c - delivered));
            if (delivered > 0) {
              listener.onRecords(QueueStream.this, message.getDeliveries().getRecordsList());
            }
          }
          case SETTLED -> {
            CompletableFuture<List<SettleOutcome>> settled = settling.remove(message.getSettled().getId());
            if (settled != null) {
              settled.complete(message.getSettled().getOutcomesList());
            }
          }
          default -> { } // a newer node's message: nothing this client asked for
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        OrdoException error = status.isOk()
            ? new OrdoException(ErrorCode.ERROR_CODE_UNSPECIFIED, Status.Code.UNAVAILABLE,
                "node ended the consume stream of partition " + partition, null)
            : Errors.toOrdo(status.asRuntimeException(trailers));
        ended = error;
        settling.values().forEach(f -> f.completeExceptionally(error));
        listener.onEnded(QueueStream.this, error);
      }
    }, new Metadata());
    // Deliveries are bounded by credit and answers by settles sent, so the transport need not be.
    call.request(Integer.MAX_VALUE);
    call.sendMessage(ConsumeRequest.newBuilder().setOpen(open).build());
  }

  /**
   * Grants credit until the leader may deliver {@code wanted} records, for {@link #CREDIT_TTL}
   * from now; renews the credit when half its time has passed.
   */
  synchronized void topUp(int wanted) {
    if (ended != null || cancelled) {
      return;
    }
    long now = System.nanoTime();
    if (now - creditGoodUntilNanos >= 0 && credit.getAndSet(0) > 0) {
      lastHeardNanos = now; // the leader dropped the credit too: its silence since says nothing
    }
    int more = Math.max(0, wanted - credit.get());
    boolean renew = now - (creditGoodUntilNanos - CREDIT_TTL.toNanos() / 2) >= 0;
    if (more == 0 && (!renew || credit.get() == 0)) {
      return;
    }
    if (credit.getAndAdd(more) <= 0) {
      lastHeardNanos = now; // silence while it had no credit was no sign of trouble
    }
    creditGoodUntilNanos = now + CREDIT_TTL.toNanos();
    call.sendMessage(ConsumeRequest.newBuilder()
        .setCredit(ConsumeCredit.newBuilder().setRecords(more).setTtlMs((int) CREDIT_TTL.toMillis()))
        .build());
  }

  /** Sends the settlements; the future fails if the stream ends before the answer. */
  synchronized CompletableFuture<List<SettleOutcome>> settle(List<RecordSettlement> settlements) {
    CompletableFuture<List<SettleOutcome>> answer = new CompletableFuture<>();
    if (cancelled) {
      answer.completeExceptionally(new OrdoException(ErrorCode.ERROR_CODE_UNSPECIFIED, Status.Code.CANCELLED,
          "the consume stream of partition " + partition + " was cancelled", null));
      return answer;
    }
    long id = ++nextSettleId;
    settling.put(id, answer);
    call.sendMessage(ConsumeRequest.newBuilder()
        .setSettle(ConsumeSettle.newBuilder().setId(id).addAllSettlements(settlements))
        .build());
    OrdoException error = ended;
    if (error != null) {
      answer.completeExceptionally(error); // ended before the answer could come
    }
    return answer;
  }

  /** Whether the stream has credit and has heard nothing for {@code nanos}: the leader sends a heartbeat while it waits. */
  boolean silentFor(long nanos) {
    long now = System.nanoTime();
    return credit.get() > 0 && now - creditGoodUntilNanos < 0 && now - lastHeardNanos > nanos;
  }

  boolean isEnded() {
    return ended != null;
  }

  /** No more settles or credit: the leader answers what it has, releases what it leased since, and ends the stream. */
  synchronized void finish() {
    if (ended == null && !cancelled) {
      call.halfClose();
    }
  }

  synchronized void cancel(String why) {
    cancelled = true;
    call.cancel(why, null);
  }
}
