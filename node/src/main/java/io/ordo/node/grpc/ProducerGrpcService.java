package io.ordo.node.grpc;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.ordo.node.config.NodeConfig;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.AppendRecords;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.Header;
import io.ordo.proto.v1.PartitionAppend;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.ProduceResponse;
import io.ordo.proto.v1.ProducerServiceGrpc;
import io.ordo.proto.v1.Record;
import io.ordo.protocol.KeyPartitioner;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.partition.OpCallback;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.replica.ReplicaError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** ProducerService: validates a batch, routes each partition's records to its local leader. */
public final class ProducerGrpcService extends ProducerServiceGrpc.ProducerServiceImplBase {
  private final Router router;
  private final NodeConfig config;
  private final PipelinedProduces pipelined;

  public ProducerGrpcService(Router router, NodeConfig config, ScheduledExecutorService timer) {
    this.router = router;
    this.config = config;
    this.pipelined = new PipelinedProduces(timer);
  }

  @Override
  public void produce(ProduceRequest request, StreamObserver<ProduceResponse> response) {
    router.withTopic(request.getTopic(), topic -> produce(topic, request, response), response::onError);
  }

  private void produce(TopicRecord topic, ProduceRequest request, StreamObserver<ProduceResponse> response) {
    Map<Integer, List<Record>> byPartition = partitionRecords(topic, request);
    Map<Integer, PartitionReplica> leaders = new TreeMap<>();
    for (int partition : byPartition.keySet()) {
      leaders.put(partition, router.leader(topic, partition));
    }
    Completion completion = new Completion(byPartition.size(), response, Context.current());
    byPartition.forEach((partition, records) -> {
      PartitionReplica leader = leaders.get(partition);
      PartitionOp append =
          PartitionOp.newBuilder()
              .setAppend(
                  AppendRecords.newBuilder()
                      .addAllRecords(records)
                      .setProducerId(request.getProducerId())
                      .setFirstSequence(request.getFirstSequence())
                      .setFollowsPrevious(request.getFollowsPrevious()))
              .build();
      Runnable propose = () -> leader.propose(append, sizeOf(records), completion.forPartition(leader, partition));
      if (request.getProducerId() == 0) {
        propose.run();
      } else {
        pipelined.submit(
            leader.id(), request.getProducerId(), request.getFirstSequence(), records.size(), request.getFollowsPrevious(), propose);
      }
    });
  }

  private Map<Integer, List<Record>> partitionRecords(TopicRecord topic, ProduceRequest request) {
    if (request.getRecordsCount() == 0) {
      throw OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "a produce request needs at least one record");
    }
    long total = 0;
    for (int i = 0; i < request.getRecordsCount(); i++) {
      int size = sizeOf(request.getRecords(i));
      if (size > config.maxRecordBytes()) {
        throw OrdoStatus.exception(
            ErrorCode.RECORD_TOO_LARGE,
            "record " + i + " is " + size + " bytes; the limit is " + config.maxRecordBytes() + " bytes (max-record-bytes)");
      }
      total += size;
    }
    if (total > config.maxBatchBytes()) {
      throw OrdoStatus.exception(
          ErrorCode.BATCH_TOO_LARGE,
          "the request carries " + total + " bytes of records; the limit is " + config.maxBatchBytes()
              + " bytes (max-batch-bytes): split it");
    }
    if (request.getProducerId() != 0 && !request.hasPartition()) {
      throw OrdoStatus.exception(
          ErrorCode.INVALID_REQUEST, "an idempotent request (producer_id set) must name its partition");
    }
    if (request.getFollowsPrevious() && request.getProducerId() == 0) {
      throw OrdoStatus.exception(
          ErrorCode.INVALID_REQUEST, "follows_previous needs an idempotent request (producer_id set)");
    }
    if (request.getFirstSequence() < 0) {
      throw OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "first_sequence must not be negative");
    }
    int partitions = topic.getPartitionsCount();
    Map<Integer, List<Record>> out = new TreeMap<>();
    if (request.hasPartition()) {
      out.put(request.getPartition(), request.getRecordsList());
      return out;
    }
    for (Record r : request.getRecordsList()) {
      int p = r.getKey().isEmpty() ? 0 : KeyPartitioner.partition(r.getKey().toByteArray(), partitions);
      out.computeIfAbsent(p, k -> new ArrayList<>()).add(r);
    }
    return out;
  }

  private static int sizeOf(Record r) {
    int size = r.getKey().size() + r.getValue().size();
    for (Header h : r.getHeadersList()) {
      size += h.getKey().length() + h.getValue().size();
    }
    return size;
  }

  private static int sizeOf(List<Record> records) {
    int size = 0;
    for (Record r : records) {
      size += sizeOf(r);
    }
    return size;
  }

  /**
   * One partition's failure in a request that spans several: the others' records may be written
   * already, so the request as a whole may or may not have taken effect.
   */
  private static ReplicaError othersMayBeWritten(ReplicaError error) {
    return error.code() == ErrorCode.OUTCOME_UNKNOWN
        ? error
        : new ReplicaError(ErrorCode.OUTCOME_UNKNOWN,
            error.message() + "; the request's records for its other partitions may have been written", null);
  }

  /** Answers once every partition's append is done, or at the first failure. */
  private final class Completion {
    private final int partitions;
    private final AtomicInteger remaining;
    private final AtomicBoolean answered = new AtomicBoolean();
    private final List<PartitionAppend> appends = new ArrayList<>();
    private final StreamObserver<ProduceResponse> response;
    /** The call's context: cancelled when the client cancels or its deadline passes. */
    private final Context call;

    Completion(int partitions, StreamObserver<ProduceResponse> response, Context call) {
      this.partitions = partitions;
      this.remaining = new AtomicInteger(partitions);
      this.response = response;
      this.call = call;
    }

    OpCallback forPartition(PartitionReplica replica, int partition) {
      return new OpCallback() {
        @Override
        public void onApplied(OpResult result, long timestampMs) {
          if (result instanceof OpResult.Appended appended) {
            onAppended(appended.baseOffset(), appended.recordCount(), timestampMs);
          } else if (result instanceof OpResult.Refused refused) {
            onFailed(new ReplicaError(refused.code(), "partition " + replica.id() + ": " + refused.message(), null));
          }
        }

        private void onAppended(long baseOffset, int count, long timestampMs) {
          synchronized (appends) {
            appends.add(
                PartitionAppend.newBuilder()
                    .setPartition(partition)
                    .setBaseOffset(baseOffset)
                    .setRecordCount(count)
                    .setTimestampMs(timestampMs)
                    .build());
          }
          if (remaining.decrementAndGet() == 0 && answered.compareAndSet(false, true)) {
            ProduceResponse.Builder out = ProduceResponse.newBuilder();
            synchronized (appends) {
              appends.sort((a, b) -> Integer.compare(a.getPartition(), b.getPartition()));
              out.addAllAppends(appends);
            }
            response.onNext(out.build());
            response.onCompleted();
          }
        }

        @Override
        public void onFailed(ReplicaError error) {
          if (answered.compareAndSet(false, true)) {
            response.onError(router.toStatus(partitions > 1 ? othersMayBeWritten(error) : error));
          }
        }

        @Override
        public boolean abandoned() {
          return call.isCancelled();
        }
      };
    }
  }
}
