package io.ordo.node.grpc;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.node.config.NodeConfig;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.proto.v1.FetchRequest;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.SpecialOffset;
import io.ordo.proto.v1.SubscribeRequest;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.partition.AppendWaiters;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.replica.ReplicaError;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * ConsumerService: reads committed records from the partition leader. A long-poll or stream with
 * nothing to send parks on the replica's next append instead of holding a thread.
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
    Read read;
    try {
      read = startRead(request.getTopic(), request.getPartition(), request.getOffset(), request.getMaxRecords(),
          request.getMaxBytes());
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    long waitMs = Math.min(Math.max(0, request.getMaxWaitMs()), config.maxFetchWaitMs());
    LongPoll poll = new LongPoll(read.replica, read.offset, read.maxRecords, read.maxBytes, response);
    ((ServerCallStreamObserver<FetchResponse>) response).setOnCancelHandler(poll::cancel);
    poll.start(waitMs);
  }

  /** Where a fetch or subscription starts, with the node's caps applied. */
  private record Read(PartitionReplica replica, long offset, int maxRecords, int maxBytes) {}

  private Read startRead(String topic, int partition, long offset, int maxRecords, int maxBytes) {
    PartitionReplica replica = locate(topic, partition);
    return new Read(
        replica,
        resolve(replica, offset),
        cap(maxRecords, DEFAULT_MAX_RECORDS, config.maxFetchRecords()),
        cap(maxBytes, DEFAULT_MAX_BYTES, config.maxFetchBytes()));
  }

  /**
   * Answers a fetch once: when records are there, or when the wait is over. Its timer and its
   * parked waiter are cancelled as soon as it is answered or the client goes away.
   */
  private final class LongPoll {
    private final PartitionReplica replica;
    private final long offset;
    private final int maxRecords;
    private final int maxBytes;
    private final StreamObserver<FetchResponse> response;
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile ScheduledFuture<?> timeout;
    private volatile AppendWaiters.Waiter waiter;

    LongPoll(PartitionReplica replica, long offset, int maxRecords, int maxBytes, StreamObserver<FetchResponse> response) {
      this.replica = replica;
      this.offset = offset;
      this.maxRecords = maxRecords;
      this.maxBytes = maxBytes;
      this.response = response;
    }

    void start(long waitMs) {
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
        // The partition has as many reads parked as it may. max_wait_ms is an upper bound, so an
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
          throw router.toStatus(
              new ReplicaError(
                  ErrorCode.NOT_LEADER, "this node no longer leads partition " + replica.id(), replica.leaderRaftAddress()));
        }
        response.onNext(read(replica, offset, maxRecords, maxBytes));
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
    Read read;
    try {
      read = startRead(request.getTopic(), request.getPartition(), request.getOffset(), request.getMaxRecords(),
          request.getMaxBytes());
    } catch (StatusRuntimeException e) {
      observer.onError(e);
      return;
    }
    Stream stream =
        new Stream((ServerCallStreamObserver<FetchResponse>) observer, read.replica, read.offset, read.maxRecords,
            read.maxBytes);
    stream.observer.setOnReadyHandler(stream::pump);
    stream.observer.setOnCancelHandler(stream::cancel);
    readExecutor.execute(stream::pump);
  }

  /**
   * A subscription: sends while the client is ready and records are there; parks otherwise, with at
   * most one waiter at a time, which it drops when the client goes away.
   */
  private final class Stream {
    final ServerCallStreamObserver<FetchResponse> observer;
    private final PartitionReplica replica;
    private final int maxRecords;
    private final int maxBytes;
    /** Pump requests not yet served; only the caller that raises it from 0 pumps. */
    private final AtomicInteger requests = new AtomicInteger();
    private long offset;
    private volatile boolean done;
    private volatile AppendWaiters.Waiter waiter;

    Stream(ServerCallStreamObserver<FetchResponse> observer, PartitionReplica replica, long offset, int maxRecords, int maxBytes) {
      this.observer = observer;
      this.replica = replica;
      this.offset = offset;
      this.maxRecords = maxRecords;
      this.maxBytes = maxBytes;
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
        while (!done && observer.isReady()) {
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
          FetchResponse batch = read(replica, offset, maxRecords, maxBytes);
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
                "partition " + replica.id() + " has " + config.maxParkedReadsPerPartition()
                    + " reads waiting for records already; resubscribe from offset " + offset + " later"));
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

    private void fail(StatusRuntimeException error) {
      if (!done) {
        done = true;
        dropWaiter();
        observer.onError(error);
      }
    }
  }

  private PartitionReplica locate(String topicName, int partition) {
    TopicRecord topic = router.topic(topicName);
    return router.leader(topic, partition);
  }

  /** The offset to read from, or OUT_OF_RANGE with the readable range. */
  private static long resolve(PartitionReplica replica, long requested) {
    long start = replica.startOffset();
    long end = replica.endOffset();
    if (requested == SpecialOffset.EARLIEST_VALUE) {
      return start;
    }
    if (requested == SpecialOffset.LATEST_VALUE) {
      return end;
    }
    if (requested < start || requested > end) {
      throw OrdoStatus.exception(
          ErrorDetail.newBuilder()
              .setCode(ErrorCode.OFFSET_OUT_OF_RANGE)
              .setStartOffset(start)
              .setEndOffset(end)
              .build(),
          "offset " + requested + " is outside partition " + replica.id() + "'s log [" + start + ", " + end + ")");
    }
    return requested;
  }

  private static FetchResponse read(PartitionReplica replica, long offset, int maxRecords, int maxBytes) {
    List<ConsumedRecord> records = replica.read(offset, maxRecords, maxBytes);
    long next = records.isEmpty() ? offset : records.get(records.size() - 1).getOffset() + 1;
    return FetchResponse.newBuilder()
        .addAllRecords(records)
        .setNextOffset(next)
        .setStartOffset(replica.startOffset())
        .setEndOffset(replica.endOffset())
        .build();
  }

  private static int cap(int requested, int defaultValue, int limit) {
    return Math.min(requested <= 0 ? defaultValue : requested, limit);
  }
}
