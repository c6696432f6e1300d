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
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.replica.ReplicaError;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
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
    new LongPoll(read.replica, read.offset, read.maxRecords, read.maxBytes, response).start(waitMs);
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

  /** Answers a fetch once: when records are there, or when the wait is over. */
  private final class LongPoll {
    private final PartitionReplica replica;
    private final long offset;
    private final int maxRecords;
    private final int maxBytes;
    private final StreamObserver<FetchResponse> response;
    private final AtomicBoolean answered = new AtomicBoolean();

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
      timer.schedule(() -> readExecutor.execute(this::answer), waitMs, TimeUnit.MILLISECONDS);
      park();
    }

    private void park() {
      replica.onNextAppend(() -> readExecutor.execute(this::wake));
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

    private void answer() {
      if (!answered.compareAndSet(false, true)) {
        return;
      }
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
    stream.observer.setOnCancelHandler(() -> stream.done = true);
    readExecutor.execute(stream::pump);
  }

  /** A subscription: sends while the client is ready and records are there; parks otherwise. */
  private final class Stream {
    final ServerCallStreamObserver<FetchResponse> observer;
    private final PartitionReplica replica;
    private final int maxRecords;
    private final int maxBytes;
    /** Pump requests not yet served; only the caller that raises it from 0 pumps. */
    private final AtomicInteger requests = new AtomicInteger();
    private long offset;
    volatile boolean done;

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

    private void pumpOnce() {
      try {
        while (!done && observer.isReady()) {
          if (!replica.isLeader()) {
            done = true;
            observer.onError(
                router.toStatus(
                    new ReplicaError(
                        ErrorCode.NOT_LEADER,
                        "this node no longer leads partition " + replica.id() + "; resubscribe from offset " + offset,
                        replica.leaderRaftAddress())));
            return;
          }
          if (replica.endOffset() <= offset) {
            replica.onNextAppend(() -> readExecutor.execute(this::pump));
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
        if (!done) {
          done = true;
          observer.onError(
              e instanceof StatusRuntimeException
                  ? e
                  : OrdoStatus.exception(ErrorCode.INTERNAL_ERROR, "read failed: " + e.getMessage()));
        }
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
