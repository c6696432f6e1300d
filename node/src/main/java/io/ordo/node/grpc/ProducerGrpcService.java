package io.ordo.node.grpc;

import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.ordo.node.config.NodeConfig;
import io.ordo.node.routing.CallerDeadline;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.AppendRecords;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.proto.v1.Header;
import io.ordo.proto.v1.PartitionAppend;
import io.ordo.proto.v1.ProduceManyRequest;
import io.ordo.proto.v1.ProduceManyResponse;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.ProduceResponse;
import io.ordo.proto.v1.ProduceResult;
import io.ordo.proto.v1.ProducerServiceGrpc;
import io.ordo.proto.v1.Record;
import io.ordo.protocol.KeyPartitioner;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.TopicConfigs;
import io.ordo.raft.partition.OpCallback;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.replica.ReplicaError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * ProducerService: validates a batch and routes each partition's records to its leader: proposed
 * here when this node leads the partition, otherwise forwarded (only for records the node assigned
 * to partitions by key; a request that names its partition is refused with NOT_LEADER instead).
 */
public final class ProducerGrpcService extends ProducerServiceGrpc.ProducerServiceImplBase {
  /**
   * How long a node waits for the records it forwards to another node (shortened to the caller's
   * deadline): as long as the Java client's delivery timeout.
   */
  private static final long FORWARD_TIMEOUT_MS = 15_000;

  private final Router router;
  private final PeerChannels peers;
  private final NodeConfig config;
  private final PipelinedProduces pipelined;
  /** Told each ProduceMany request's outcome: "appended", or the error code it failed with. */
  private final Consumer<String> outcomes;

  public ProducerGrpcService(
      Router router, PeerChannels peers, NodeConfig config, ScheduledExecutorService timer, Consumer<String> outcomes) {
    this.router = router;
    this.peers = peers;
    this.config = config;
    this.pipelined = new PipelinedProduces(timer);
    this.outcomes = outcomes;
  }

  @Override
  public void produce(ProduceRequest request, StreamObserver<ProduceResponse> response) {
    router.withTopic(request.getTopic(), topic -> produce(topic, request, response), response::onError);
  }

  @Override
  public void produceMany(ProduceManyRequest request, StreamObserver<ProduceManyResponse> response) {
    int count = request.getRequestsCount();
    if (count == 0) {
      response.onError(OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "a ProduceMany call needs at least one request"));
      return;
    }
    ManyAnswers answers = new ManyAnswers(count, response);
    for (int i = 0; i < count; i++) {
      ProduceRequest one = request.getRequests(i);
      StreamObserver<ProduceResponse> answer = answers.slot(i);
      if (!one.hasPartition()) {
        answer.onError(OrdoStatus.exception(
            ErrorCode.INVALID_REQUEST, "request " + i + " of the ProduceMany call names no partition; each must"));
      } else {
        router.withTopic(one.getTopic(), topic -> produce(topic, one, answer), answer::onError);
      }
    }
  }

  private void produce(TopicRecord topic, ProduceRequest request, StreamObserver<ProduceResponse> response) {
    Map<Integer, List<Record>> byPartition = partitionRecords(topic, request);
    // Every partition's destination first: a request that cannot reach one writes nothing.
    Map<Integer, Object> targets = new TreeMap<>();
    for (int partition : byPartition.keySet()) {
      targets.put(partition, request.hasPartition() ? router.leader(topic, partition) : target(topic, partition));
    }
    Completion completion = new Completion(byPartition.size(), response, Context.current());
    byPartition.forEach((partition, records) -> {
      if (targets.get(partition) instanceof PartitionReplica leader) {
        propose(leader, partition, request, records, completion);
      } else {
        forward((String) targets.get(partition), topic.getName(), partition, records, completion, 1);
      }
    });
  }

  private void propose(
      PartitionReplica leader, int partition, ProduceRequest request, List<Record> records, Completion completion) {
    if (completion.answered()) {
      return; // as in forward
    }
    PartitionOp append =
        PartitionOp.newBuilder()
            .setAppend(
                AppendRecords.newBuilder()
                    .addAllRecords(records)
                    .setProducerId(request.getProducerId())
                    .setFirstSequence(request.getFirstSequence())
                    .setFollowsPrevious(request.getFollowsPrevious()))
            .build();
    Runnable propose = () -> leader.propose(append, sizeOf(records), completion.forReplica(leader, partition));
    if (request.getProducerId() == 0) {
      propose.run();
    } else {
      pipelined.submit(
          leader.id(), request.getProducerId(), request.getFirstSequence(), records.size(), request.getFollowsPrevious(), propose);
    }
  }

  /**
   * Where the records of a partition the node chose go: this node's leader replica, or the client
   * address of the node to forward them to (the leader, or without a local replica one of the
   * partition's replicas, which redirects). A client that names no partition (one written from the
   * .proto alone, that hashes no keys) may send to any node.
   */
  private Object target(TopicRecord topic, int partition) {
    try {
      return router.leader(topic, partition);
    } catch (StatusRuntimeException notHere) {
      ErrorDetail detail = OrdoStatus.detailOf(notHere).orElse(ErrorDetail.getDefaultInstance());
      if (detail.getCode() != ErrorCode.NOT_LEADER) {
        throw notHere;
      }
      if (!detail.getLeaderAddress().isEmpty()) {
        return detail.getLeaderAddress();
      }
      return topic.getPartitionsList().stream()
          .filter(p -> p.getPartition() == partition)
          .flatMap(p -> p.getReplicasList().stream())
          .filter(node -> node != router.nodeId())
          .findFirst()
          .flatMap(node -> router.view().node(node))
          .map(NodeInfo::getClientAddress)
          .orElseThrow(() -> notHere);
    }
  }

  /**
   * Sends one partition's records on to the node at {@code address}, following up to {@code
   * redirects} NOT_LEADER answers to the leader they name. The forwarded request names its
   * partition, so the next node never forwards it again.
   */
  private void forward(String address, String topic, int partition, List<Record> records, Completion completion, int redirects) {
    if (completion.answered()) {
      return; // another partition failed: the client has its answer, and writing more only adds duplicates on retry
    }
    ProduceRequest one = ProduceRequest.newBuilder().setTopic(topic).setPartition(partition).addAllRecords(records).build();
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(CallerDeadline.cap(FORWARD_TIMEOUT_MS), TimeUnit.MILLISECONDS);
    ClientCalls.asyncUnaryCall(
        peers.to(address).newCall(ProducerServiceGrpc.getProduceMethod(), options),
        one,
        new StreamObserver<>() {
          @Override
          public void onNext(ProduceResponse answer) {
            if (answer.getAppendsCount() != 1
                || answer.getAppends(0).getPartition() != partition
                || answer.getAppends(0).getRecordCount() != records.size()) {
              completion.failed(outcomeUnknown(address, "an answer that does not match the request: " + answer));
              return;
            }
            PartitionAppend append = answer.getAppends(0);
            completion.appended(partition, append.getBaseOffset(), append.getRecordCount(), append.getTimestampMs());
          }

          @Override
          public void onError(Throwable error) {
            ErrorDetail detail = OrdoStatus.detailOf(error).orElse(ErrorDetail.getDefaultInstance());
            if (redirects > 0 && detail.getCode() == ErrorCode.NOT_LEADER && !detail.getLeaderAddress().isEmpty()) {
              try {
                forward(detail.getLeaderAddress(), topic, partition, records, completion, redirects - 1);
              } catch (RuntimeException e) {
                completion.failed(outcomeUnknown(detail.getLeaderAddress(), e.toString()));
              }
            } else if (detail.getCode() == ErrorCode.ERROR_CODE_UNSPECIFIED) {
              // Not the other node's answer but the call's failure (deadline, connection): it may have written.
              completion.failed(outcomeUnknown(address, Status.fromThrowable(error).toString()));
            } else {
              completion.failed(Status.fromThrowable(error).asRuntimeException(Status.trailersFromThrowable(error)));
            }
          }

          @Override
          public void onCompleted() {}
        });
  }

  private static StatusRuntimeException outcomeUnknown(String address, String what) {
    return OrdoStatus.exception(
        ErrorCode.OUTCOME_UNKNOWN,
        "records forwarded to the partition's leader at " + address + " may or may not have been written: " + what);
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
      String problem = recordProblem(topic, request.getRecords(i));
      if (problem != null) {
        throw OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "record " + i + " " + problem);
      }
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

  /** Why the record cannot go to the topic; null if it can. */
  private static String recordProblem(TopicRecord topic, Record record) {
    if (record.getTombstone() && (record.getKey().isEmpty() || !record.getValue().isEmpty())) {
      return "is a tombstone: it needs a key and no value";
    }
    if (record.getKey().isEmpty() && TopicConfigs.compacted(topic.getConfig())) {
      return "has no key, and topic '" + topic.getName() + "' is compacted (cleanup.policy): its records need keys";
    }
    return null;
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

    OpCallback forReplica(PartitionReplica replica, int partition) {
      return new OpCallback() {
        @Override
        public void onApplied(OpResult result, long timestampMs) {
          if (result instanceof OpResult.Appended appended) {
            appended(partition, appended.baseOffset(), appended.recordCount(), timestampMs);
          } else if (result instanceof OpResult.Refused refused) {
            onFailed(new ReplicaError(refused.code(), "partition " + replica.id() + ": " + refused.message(), null));
          }
        }

        @Override
        public void onFailed(ReplicaError error) {
          failed(router.toStatus(error));
        }

        @Override
        public boolean abandoned() {
          return call.isCancelled();
        }
      };
    }

    void appended(int partition, long baseOffset, int count, long timestampMs) {
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

    boolean answered() {
      return answered.get();
    }

    void failed(StatusRuntimeException error) {
      if (answered.compareAndSet(false, true)) {
        response.onError(partitions > 1 ? othersMayBeWritten(error) : error);
      }
    }

    /**
     * One partition's failure in a request that spans several: the others' records may be written
     * already, so the request as a whole may or may not have taken effect.
     */
    private StatusRuntimeException othersMayBeWritten(StatusRuntimeException error) {
      ErrorDetail detail = OrdoStatus.detailOf(error).orElse(ErrorDetail.getDefaultInstance());
      if (detail.getCode() == ErrorCode.OUTCOME_UNKNOWN) {
        return error;
      }
      return OrdoStatus.exception(
          ErrorCode.OUTCOME_UNKNOWN,
          error.getStatus().getDescription() + "; the request's records for its other partitions may have been written");
    }
  }

  /** A ProduceMany call's answers: each request's answer fills its slot; the last one answers the call. */
  private final class ManyAnswers {
    private final AtomicReferenceArray<ProduceResult> results;
    private final AtomicInteger remaining;
    private final StreamObserver<ProduceManyResponse> response;

    ManyAnswers(int count, StreamObserver<ProduceManyResponse> response) {
      this.results = new AtomicReferenceArray<>(count);
      this.remaining = new AtomicInteger(count);
      this.response = response;
    }

    /** Where request {@code i}'s answer goes, as its own Produce call's answer would. */
    StreamObserver<ProduceResponse> slot(int i) {
      return new StreamObserver<>() {
        @Override
        public void onNext(ProduceResponse answer) {
          fill(i, ProduceResult.newBuilder().setAppend(answer.getAppends(0)).build());
        }

        @Override
        public void onError(Throwable error) {
          fill(i, OrdoStatus.failedProduce(error));
        }

        @Override
        public void onCompleted() {}
      };
    }

    private void fill(int i, ProduceResult result) {
      outcomes.accept(result.hasAppend() ? "appended" : result.getError().getDetail().getCode().name());
      results.set(i, result);
      if (remaining.decrementAndGet() == 0) {
        ProduceManyResponse.Builder out = ProduceManyResponse.newBuilder();
        for (int r = 0; r < results.length(); r++) {
          out.addResults(results.get(r));
        }
        response.onNext(out.build());
        response.onCompleted();
      }
    }
  }
}
