package io.ordo.node.grpc;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.raft.v1.GroupRecord;
import io.ordo.proto.v1.ConsumeCredit;
import io.ordo.proto.v1.ConsumeOpen;
import io.ordo.proto.v1.ConsumeRequest;
import io.ordo.proto.v1.ConsumeResponse;
import io.ordo.proto.v1.ConsumeSettle;
import io.ordo.proto.v1.ConsumeSettled;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ReceiveResponse;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.partition.AppendWaiters;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.queue.QueueGroups;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One Consume stream: a consumer's records of one partition, leased ahead as its credit allows,
 * and its settlements. One acquire is in flight at a time; when there is nothing to lease the
 * stream parks on the partition's next apply round (a new record, a settlement, an ended lease all
 * come as one) or the next retry's due time, instead of polling with Raft entries. After an
 * acquire that leased nothing (every record leased, or blocked behind its key) it acquires again
 * only once the group or the log has changed, so idle streams cost no writes.
 */
final class QueueConsumeStream implements StreamObserver<ConsumeRequest> {
  /** Credit a stream may hold: records it may still deliver. */
  static final int MAX_CREDIT = 10_000;
  /** Settlements in one settle message, at most. */
  static final int MAX_SETTLEMENTS = 1_000;
  /** How long a credit may stay good, at most. */
  static final int MAX_CREDIT_TTL_MS = 3_600_000;
  /** While parked the stream sends an empty delivery this often, so the consumer can tell silence from a dead stream. */
  static final long HEARTBEAT_MS = 5_000;

  private final QueueGrpcService service;
  private final ServerCallStreamObserver<ConsumeResponse> out;
  private final Executor reads;
  private final ScheduledExecutorService timer;
  private final Context call = Context.current();
  /** Completes with the partition once the first message named a group and partition this node leads. */
  private final CompletableFuture<PartitionReplica> opened = new CompletableFuture<>();
  /** Where a failed call ends the stream: a settle or acquire that could not commit ends it with the reason. */
  private final StreamObserver<Object> failures = new StreamObserver<>() {
    @Override
    public void onNext(Object value) {}

    @Override
    public void onError(Throwable t) {
      fail(t instanceof StatusRuntimeException e
          ? e : OrdoStatus.exception(ErrorCode.INTERNAL_ERROR, "consume stream failed: " + t.getMessage()));
    }

    @Override
    public void onCompleted() {}
  };

  // Guarded by this.
  private ConsumeOpen open;
  private GroupRecord group;
  private long credit;
  /** Whether the credit stops being good, and when (System.nanoTime). */
  private boolean creditExpires;
  private long creditGoodUntilNanos;
  private boolean acquiring;
  private int settling;
  private boolean halfClosed;
  private boolean done;
  private AppendWaiters.Waiter waiter;
  private ScheduledFuture<?> wakeUp;
  /**
   * The group, the log's end and the clock as the last acquire found them when it was proposed,
   * kept if it leased nothing (null after one that leased). Taken before proposing, not after
   * applying: the state published after the acquire's apply round may already include a later
   * op of the same round (an ack that freed a key), which the acquire never saw.
   */
  private QueueGroups.Summary emptyAt;
  private long emptyAtEnd;
  private long emptyAtMs;

  QueueConsumeStream(
      QueueGrpcService service, ServerCallStreamObserver<ConsumeResponse> out, Executor reads, ScheduledExecutorService timer) {
    this.service = service;
    this.out = out;
    this.reads = reads;
    this.timer = timer;
    out.setOnReadyHandler(this::pumpLater);
    out.setOnCancelHandler(this::cancelled);
  }

  @Override
  public void onNext(ConsumeRequest request) {
    switch (request.getRequestCase()) {
      case OPEN -> open(request.getOpen());
      case CREDIT -> credit(request.getCredit());
      case SETTLE -> settle(request.getSettle());
      default -> fail(OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "a consume message must be open, credit or settle"));
    }
  }

  @Override
  public void onError(Throwable t) {
    cancelled();
  }

  /** The consumer sends no more: answer the settles in flight, then end. */
  @Override
  public void onCompleted() {
    synchronized (this) {
      halfClosed = true;
    }
    completeIfDone();
  }

  private void open(ConsumeOpen request) {
    synchronized (this) {
      if (open != null) {
        fail(OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "a consume stream is opened once, by its first message"));
        return;
      }
      open = request;
    }
    if (request.getConsumer().isEmpty()) {
      fail(OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "a consumer must name itself (consumer) to receive"));
      return;
    }
    service.onLeader(request.getGroup(), request.getTopic(), request.getPartition(), failures, (known, replica) -> {
      synchronized (this) {
        group = known;
      }
      opened.complete(replica);
      pumpLater();
    });
  }

  private void credit(ConsumeCredit request) {
    synchronized (this) {
      if (open == null) {
        fail(OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "a consume stream must be opened before it is given credit"));
        return;
      }
      long outstanding = creditNow();
      if (request.getRecords() < 0 || outstanding + request.getRecords() > MAX_CREDIT) {
        fail(OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "credit must be 0 or more records and at most " + MAX_CREDIT
            + " outstanding; " + outstanding + " is, " + request.getRecords() + " more asked"));
        return;
      }
      if (request.getTtlMs() < 0 || request.getTtlMs() > MAX_CREDIT_TTL_MS) {
        fail(OrdoStatus.exception(ErrorCode.INVALID_REQUEST,
            "a credit's ttl_ms must be 0 to " + MAX_CREDIT_TTL_MS + ", not " + request.getTtlMs()));
        return;
      }
      credit = outstanding + request.getRecords();
      creditExpires = request.getTtlMs() > 0;
      creditGoodUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(request.getTtlMs());
    }
    pumpLater();
  }

  /** The credit outstanding, 0 once its time to live has passed. Guarded by this. */
  private long creditNow() {
    if (credit > 0 && creditExpires && System.nanoTime() - creditGoodUntilNanos >= 0) {
      credit = 0;
    }
    return credit;
  }

  private void settle(ConsumeSettle request) {
    if (request.getSettlementsCount() < 1 || request.getSettlementsCount() > MAX_SETTLEMENTS) {
      fail(OrdoStatus.exception(ErrorCode.INVALID_REQUEST,
          "a settle names 1 to " + MAX_SETTLEMENTS + " settlements, not " + request.getSettlementsCount()));
      return;
    }
    synchronized (this) {
      if (open == null) {
        fail(OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "a consume stream must be opened before it settles"));
        return;
      }
      settling++;
    }
    opened.thenAccept(replica -> call.run(() -> service.settle(
        replica, open.getGroup(), open.getConsumer(), request.getSettlementsList(), failures, outcomes -> {
          send(ConsumeResponse.newBuilder()
              .setSettled(ConsumeSettled.newBuilder().setId(request.getId()).addAllOutcomes(outcomes))
              .build());
          synchronized (this) {
            settling--;
          }
          completeIfDone();
        })));
  }

  private void pumpLater() {
    reads.execute(call.wrap(this::pump));
  }

  /** Starts an acquire if the consumer has credit, the transport room and the partition something to lease; parks otherwise. */
  private void pump() {
    PartitionReplica replica = opened.getNow(null);
    int max;
    synchronized (this) {
      if (replica == null || done || halfClosed || acquiring || creditNow() == 0 || !out.isReady()) {
        return;
      }
      if (!replica.isLeader()) {
        fail(service.router().toStatus(replica.notLeader()));
        return;
      }
      if (nothingNew(replica)) {
        park(replica);
        return;
      }
      unpark();
      acquiring = true;
      max = (int) Math.min(credit, QueueGroups.MAX_RECORDS_PER_ACQUIRE);
    }
    QueueGroups.Summary before = replica.queueSummaries().get(open.getGroup());
    long beforeEnd = replica.endOffset();
    long beforeMs = System.currentTimeMillis();
    service.acquire(replica, group, open.getConsumer(), max, failures, result -> {
      if (!(result instanceof QueueGroups.Leased leased)) {
        QueueGrpcService.refuse(result, failures);
        return;
      }
      if (leased.deliveries().isEmpty()) {
        synchronized (this) {
          emptyAt = before;
          emptyAtEnd = beforeEnd;
          emptyAtMs = beforeMs;
          acquiring = false;
        }
        pumpLater();
        return;
      }
      reads.execute(call.wrap(() -> deliver(replica, leased)));
    });
  }

  private void deliver(PartitionReplica replica, QueueGroups.Leased leased) {
    boolean send;
    synchronized (this) {
      send = !done && !halfClosed;
    }
    ReceiveResponse records = service.readLeased(replica, open.getGroup(), open.getConsumer(), leased, send);
    if (send) {
      send(ConsumeResponse.newBuilder().setDeliveries(records).build());
    }
    synchronized (this) {
      credit = Math.max(0, credit - records.getRecordsCount());
      emptyAt = null;
      acquiring = false;
    }
    completeIfDone();
    pump();
  }

  /**
   * Whether an acquire now would lease nothing: the partition is idle for the group, or the last
   * acquire leased nothing and neither the group, nor the log, nor the clock (a retry come due)
   * has changed anything since it was proposed.
   */
  private boolean nothingNew(PartitionReplica replica) {
    if (QueueGrpcService.idle(replica, open.getGroup())) {
      return true;
    }
    QueueGroups.Summary now = replica.queueSummaries().get(open.getGroup());
    if (emptyAt == null || !emptyAt.equals(now) || emptyAtEnd != replica.endOffset()) {
      return false;
    }
    long retryDue = now.nextRetryDueMs();
    return retryDue <= emptyAtMs || retryDue > System.currentTimeMillis();
  }

  /** Waits for the partition's next apply round, the next retry's due time, or the heartbeat, whichever comes first. */
  private void park(PartitionReplica replica) {
    if (waiter == null) {
      waiter = replica.onNextAppend(this::woken);
      if (waiter == null) {
        fail(OrdoStatus.exception(ErrorCode.OVERLOADED, replica.parkRefusal() + "; open the stream again later"));
        return;
      }
    }
    if (wakeUp == null) {
      QueueGroups.Summary summary = replica.queueSummaries().get(open.getGroup());
      long untilRetryMs = summary == null ? Long.MAX_VALUE : summary.nextRetryDueMs() - System.currentTimeMillis();
      boolean heartbeat = untilRetryMs >= HEARTBEAT_MS;
      wakeUp = timer.schedule(
          heartbeat ? this::heartbeat : this::woken, Math.max(1, Math.min(untilRetryMs, HEARTBEAT_MS)), TimeUnit.MILLISECONDS);
    }
  }

  private void unpark() {
    if (waiter != null) {
      waiter.cancel();
      waiter = null;
    }
    if (wakeUp != null) {
      wakeUp.cancel(false);
      wakeUp = null;
    }
  }

  private void woken() {
    synchronized (this) {
      unpark();
    }
    pumpLater();
  }

  private void heartbeat() {
    send(ConsumeResponse.newBuilder().setDeliveries(ReceiveResponse.getDefaultInstance()).build());
    woken();
  }

  private void send(ConsumeResponse response) {
    synchronized (this) {
      if (!done) {
        out.onNext(response);
      }
    }
  }

  private void completeIfDone() {
    synchronized (this) {
      if (done || !halfClosed || settling > 0 || acquiring) {
        return;
      }
      done = true;
      unpark();
      out.onCompleted();
    }
  }

  private void cancelled() {
    synchronized (this) {
      done = true;
      unpark();
    }
  }

  private void fail(StatusRuntimeException error) {
    synchronized (this) {
      if (done) {
        return;
      }
      done = true;
      unpark();
      out.onError(error);
    }
  }
}
