package io.ordo.node.grpc;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.node.config.NodeConfig;
import io.ordo.node.routing.Router;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.FetchRequest;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.SubscribeRequest;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.partition.AppendWaiters;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.replica.ReplicaError;
import io.ordo.raft.storage.PartitionStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * ConsumerService: reads committed records from the partition leader. A long-poll or stream with
 * nothing to send parks on the replica's next append instead of holding a thread. An offset past
 * the leader's end is judged only after a Raft read index ({@link StartOffsets}), since a deposed
 * leader's end can be stale.
 */
public final class ConsumerGrpcService extends ConsumerServiceGrpc.ConsumerServiceImplBase {
  private static final int DEFAULT_MAX_RECORDS = 500;
  private static final int DEFAULT_MAX_BYTES = 1024 * 1024;

  private final Router router;
  private final NodeConfig config;
  private final Executor readExecutor;
  private final ScheduledExecutorService timer;

  public ConsumerGrpcService(Router router, NodeConfig config, Executor readExecutor, ScheduledExecutorService timer) {
    this.router = router;
    this.config = config;
    this.readExecutor = readExecutor;
    this.timer = timer;
  }

  @Override
  public void fetch(FetchRequest request, StreamObserver<FetchResponse> response) {
    CallHandlers handlers = CallHandlers.install((ServerCallStreamObserver<FetchResponse>) response);
    router.withTopic(request.getTopic(), topic -> {
      PartitionReplica replica = router.leader(topic, request.getPartition());
      long waitMs = Math.min(Math.max(0, request.getMaxWaitMs()), config.maxFetchWaitMs());
      LongPoll poll =
          new LongPoll(replica, limits(request.getMaxRecords(), request.getMaxBytes(), request.getStoredBatches()), waitMs, response);
      handlers.onCancel(poll::cancel);
      StartOffsets.resolve(log(replica), request.getOffset(), readExecutor, poll);
    }, response::onError);
  }

  /**
   * Answers a fetch once: when records are there, or when the wait is over. Its timer and its
   * parked waiter are cancelled as soon as it is answered or the client goes away.
   */
  private final class LongPoll implements StartOffsets.Outcome {
    private final PartitionReplica replica;
    private final ReadLimits limits;
    private final long waitMs;
    private final StreamObserver<FetchResponse> response;
    private final AtomicBoolean answered = new AtomicBoolean();
    /** Set once, by {@link #start}, before anything reads it. */
    private long offset;
    private volatile ScheduledFuture<?> timeout;
    private volatile AppendWaiters.Waiter waiter;

    LongPoll(PartitionReplica replica, ReadLimits limits, long waitMs, StreamObserver<FetchResponse> response) {
      this.replica = replica;
      this.limits = limits;
      this.waitMs = waitMs;
      this.response = response;
    }

    @Override
    public void start(long offset) {
      this.offset = offset;
      if (answered.get()) {
        return; // the client went away while the start was resolved
      }
      if (waitMs <= 0 || replica.endOffset() > offset) {
        answer();
        return;
      }
      timeout = timer.schedule(() -> readExecutor.execute(this::answer), waitMs, TimeUnit.MILLISECONDS);
      if (answered.get()) {
        timeout.cancel(false); // answered (or cancelled) before the field was set
        return;
      }
      park();
    }

    private void park() {
      AppendWaiters.Waiter parked = replica.onNextAppend(this::wake);
      if (parked == null) {
        // The partition (or node) has as many reads parked as it may. max_wait_ms is an upper bound, so an
        // early answer with what there is (nothing) is within the fetch contract and costs the
        // client one more round trip; an error would instead surface from Consumer.fetch once the
        // client's retries ran out.
        answer();
        return;
      }
      waiter = parked;
      if (answered.get()) {
        parked.cancel(); // answered (or cancelled) before the field was set
        return;
      }
      // An append between the check above and registering would otherwise be missed.
      if (replica.endOffset() > offset || !replica.isLeader()) {
        wake();
      }
    }

    private void wake() {
      if (answered.get()) {
        return;
      }
      if (replica.endOffset() > offset || !replica.isLeader()) {
        answer();
      } else {
        park();
      }
    }

    @Override
    public void fail(StatusRuntimeException error) {
      if (answered.compareAndSet(false, true)) {
        response.onError(error);
      }
    }

    /** The client went away: nothing to send, and nothing left parked. */
    void cancel() {
      if (answered.compareAndSet(false, true)) {
        release();
      }
    }

    private void answer() {
      if (!answered.compareAndSet(false, true)) {
        return;
      }
      release();
      try {
        if (!replica.isLeader()) {
          throw router.toStatus(replica.notLeader());
        }
        response.onNext(read(replica, offset, limits));
        response.onCompleted();
      } catch (StatusRuntimeException e) {
        response.onError(e);
      } catch (RuntimeException e) {
        response.onError(OrdoStatus.exception(ErrorCode.INTERNAL_ERROR, "read failed: " + e.getMessage()));
      }
    }

    private void release() {
      ScheduledFuture<?> t = timeout;
      if (t != null) {
        t.cancel(false);
      }
      AppendWaiters.Waiter w = waiter;
      if (w != null) {
        w.cancel();
      }
    }
  }

  @Override
  public void subscribe(SubscribeRequest request, StreamObserver<FetchResponse> observer) {
    ServerCallStreamObserver<FetchResponse> call = (ServerCallStreamObserver<FetchResponse>) observer;
    CallHandlers handlers = CallHandlers.install(call);
    router.withTopic(request.getTopic(), topic -> {
      PartitionReplica replica = router.leader(topic, request.getPartition());
      Stream stream = new Stream(call, replica, limits(request.getMaxRecords(), request.getMaxBytes(), request.getStoredBatches()));
      handlers.onReady(stream::pump);
      handlers.onCancel(stream::cancel);
      StartOffsets.resolve(log(replica), request.getOffset(), readExecutor, stream);
    }, observer::onError);
  }

  /**
   * A subscription: sends while the client is ready and records are there; parks otherwise, with at
   * most one waiter at a time, which it drops when the client goes away.
   */
  private final class Stream implements StartOffsets.Outcome {
    final ServerCallStreamObserver<FetchResponse> observer;
    private final PartitionReplica replica;
    private final ReadLimits limits;
    /** Pump requests not yet served; only the caller that raises it from 0 pumps. */
    private final AtomicInteger requests = new AtomicInteger();
    /** Where the next batch starts: set by {@link #start}, then moved on only by the pump. */
    private long offset;
    /** Set once the start offset is resolved; the client may signal ready before. */
    private volatile boolean started;
    private volatile boolean done;
    private volatile AppendWaiters.Waiter waiter;

    Stream(ServerCallStreamObserver<FetchResponse> observer, PartitionReplica replica, ReadLimits limits) {
      this.observer = observer;
      this.replica = replica;
      this.limits = limits;
    }

    @Override
    public void start(long offset) {
      this.offset = offset;
      started = true;
      readExecutor.execute(this::pump);
    }

    void pump() {
      if (requests.getAndIncrement() > 0) {
        return;
      }
      do {
        pumpOnce();
      } while (requests.decrementAndGet() > 0);
    }

    void cancel() {
      done = true;
      dropWaiter();
    }

    private void pumpOnce() {
      try {
        while (started && !done && observer.isReady()) {
          if (!replica.isLeader()) {
            fail(
                router.toStatus(
                    new ReplicaError(
                        ErrorCode.NOT_LEADER,
                        "this node no longer leads partition " + replica.id() + "; resubscribe from offset " + offset,
                        replica.leaderRaftAddress())));
            return;
          }
          if (replica.endOffset() <= offset) {
            if (!park()) {
              return;
            }
            if (replica.endOffset() <= offset && replica.isLeader()) {
              return;
            }
            continue;
          }
          FetchResponse batch = read(replica, offset, limits);
          offset = batch.getNextOffset();
          observer.onNext(batch);
        }
      } catch (RuntimeException e) {
        fail(
            e instanceof StatusRuntimeException sre
                ? sre
                : OrdoStatus.exception(ErrorCode.INTERNAL_ERROR, "read failed: " + e.getMessage()));
      }
    }

    /** Parks on the next append in place of any earlier waiter; false when the stream ended instead. */
    private boolean park() {
      dropWaiter();
      AppendWaiters.Waiter parked = replica.onNextAppend(this::pump);
      if (parked == null) {
        // Unlike a fetch, a stream has no early empty answer: left open without a waiter it would
        // stay silent until the client's next flow-control signal. OVERLOADED is retriable, so
        // the client resubscribes after a back-off.
        fail(
            OrdoStatus.exception(
                ErrorCode.OVERLOADED,
                replica.parkRefusal() + "; resubscribe from offset " + offset + " later"));
        return false;
      }
      waiter = parked;
      if (done) {
        parked.cancel(); // cancelled by the client before the field was set
        return false;
      }
      return true;
    }

    private void dropWaiter() {
      AppendWaiters.Waiter w = waiter;
      if (w != null) {
        w.cancel();
      }
    }

    @Override
    public void fail(StatusRuntimeException error) {
      if (!done) {
        done = true;
        dropWaiter();
        observer.onError(error);
      }
    }
  }

  /**
   * The replica as {@link StartOffsets} sees it. A read index waits at most an election timeout: a
   * leader that cannot hear from a majority for that long is being replaced anyway.
   */
  private StartOffsets.Log log(PartitionReplica replica) {
    return new StartOffsets.Log() {
      @Override
      public long startOffset() {
        return replica.startOffset();
      }

      @Override
      public long endOffset() {
        return replica.endOffset();
      }

      @Override
      public CompletableFuture<Boolean> awaitCurrent() {
        return replica.awaitCurrent(config.partitionElectionTimeoutMs());
      }

      @Override
      public StatusRuntimeException notCurrent() {
        String leader = replica.leaderRaftAddress();
        return router.toStatus(
            replica.isLeader() || leader == null
                ? new ReplicaError(
                    ErrorCode.LEADER_NOT_AVAILABLE,
                    "node cannot confirm partition " + replica.id() + "'s end offset with its leader; retry shortly",
                    null)
                : new ReplicaError(ErrorCode.NOT_LEADER, "this node no longer leads partition " + replica.id(), leader));
      }

      @Override
      public String name() {
        return "partition " + replica.id();
      }
    };
  }

  /** How much one answer may hold, and in which form (see FetchRequest.stored_batches). */
  private record ReadLimits(int maxRecords, int maxBytes, boolean storedBatches) {}

  private static FetchResponse read(PartitionReplica replica, long offset, ReadLimits limits) {
    FetchResponse.Builder response = FetchResponse.newBuilder();
    if (limits.storedBatches()) {
      PartitionStore.StoredBatches read = replica.readBatches(offset, limits.maxRecords(), limits.maxBytes());
      response.addAllBatches(read.batches()).setFromOffset(read.fromOffset()).setNextOffset(read.nextOffset());
    } else {
      List<ConsumedRecord> records = replica.read(offset, limits.maxRecords(), limits.maxBytes());
      response.addAllRecords(records)
          .setNextOffset(records.isEmpty() ? offset : records.get(records.size() - 1).getOffset() + 1);
    }
    return response.setStartOffset(replica.startOffset()).setEndOffset(replica.endOffset()).build();
  }

  private ReadLimits limits(int maxRecords, int maxBytes, boolean storedBatches) {
    return new ReadLimits(
        cap(maxRecords, DEFAULT_MAX_RECORDS, config.maxFetchRecords()),
        cap(maxBytes, DEFAULT_MAX_BYTES, config.maxFetchBytes()),
        storedBatches);
  }

  private static int cap(int requested, int defaultValue, int limit) {
    return Math.min(requested <= 0 ? defaultValue : requested, limit);
  }
}
