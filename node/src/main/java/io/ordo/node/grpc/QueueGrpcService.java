package io.ordo.node.grpc;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.AcquireRecords;
import io.ordo.proto.raft.v1.ConfigureQueue;
import io.ordo.proto.raft.v1.CreateQueueGroup;
import io.ordo.proto.raft.v1.GroupRecord;
import io.ordo.proto.raft.v1.GroupStart;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.QueueProgress;
import io.ordo.proto.raft.v1.QueueRecord;
import io.ordo.proto.raft.v1.RedriveDeadLetters;
import io.ordo.proto.raft.v1.SettleRecords;
import io.ordo.proto.raft.v1.Settlement;
import io.ordo.proto.v1.ConsumeRequest;
import io.ordo.proto.v1.ConsumeResponse;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.CreateQueueGroupRequest;
import io.ordo.proto.v1.DeadLetter;
import io.ordo.proto.v1.DescribeQueueGroupRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.LeasedRecord;
import io.ordo.proto.v1.ListDeadLettersRequest;
import io.ordo.proto.v1.ListDeadLettersResponse;
import io.ordo.proto.v1.QueueGroupDescription;
import io.ordo.proto.v1.QueuePartitionRequest;
import io.ordo.proto.v1.QueuePartitionStatus;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.QueueServiceGrpc;
import io.ordo.proto.v1.ReceiveRequest;
import io.ordo.proto.v1.ReceiveResponse;
import io.ordo.proto.v1.RecordSettlement;
import io.ordo.proto.v1.RedriveDeadLettersResponse;
import io.ordo.proto.v1.SettleAction;
import io.ordo.proto.v1.SettleOutcome;
import io.ordo.proto.v1.SettleRequest;
import io.ordo.proto.v1.SettleResponse;
import io.ordo.proto.v1.StartFrom;
import io.ordo.protocol.Names;
import io.ordo.protocol.OrdoStatus;
import io.ordo.protocol.ProducerIds;
import io.ordo.raft.metadata.FeatureLevel;
import io.ordo.raft.partition.OpCallback;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.queue.QueueGroups;
import io.ordo.raft.queue.QueueLedger;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.replica.ReplicaError;
import io.ordo.raft.storage.PartitionStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * QueueService: creates queue groups (on the metadata leader) and leases and settles their
 * records on the partition leaders, as ops of the partition's own log. A partition learns a group
 * the first time a consumer receives from it there: the leader then proposes the group's policy
 * (ConfigureQueue) before the lease. No call holds a thread while Raft works.
 */
public final class QueueGrpcService extends QueueServiceGrpc.QueueServiceImplBase {
  /** A queue group's dead letters go to its topic's name with this appended, unless it says otherwise. */
  static final String DEAD_LETTER_TOPIC_SUFFIX = ".dlq";
  /** Policy values a CreateQueueGroup leaves unset take these. */
  static final QueuePolicy DEFAULT_POLICY =
      QueuePolicy.newBuilder()
          .setMaxDeliveries(10)
          .setLeaseMs(30_000)
          .addBackoffMs(1_000)
          .addBackoffMs(5_000)
          .addBackoffMs(30_000)
          .addBackoffMs(120_000)
          .addBackoffMs(600_000)
          .setMaxLeased(10_000)
          .setMaxUnfinished(100_000)
          .build();
  /**
   * Record bytes one Receive answers with, at most; records leased past it are released at once
   * (they do not count as delivered), so an answer stays well inside the message limit.
   */
  static final int MAX_RECEIVE_BYTES = 16 * 1024 * 1024;
  private static final long FORWARD_DEADLINE_MS = 5_000;
  private static final String METADATA_LEADER = "the metadata leader";

  private final Router router;
  private final MetadataLeader metadataLeader;
  private final Executor reads;
  private final ScheduledExecutorService timer;

  /**
   * @param reads where the records of a lease are read, off the partition's apply thread
   * @param timer wakes Consume streams when a retry comes due
   */
  public QueueGrpcService(Router router, PeerChannels peers, Executor reads, ScheduledExecutorService timer) {
    this.router = router;
    this.metadataLeader = new MetadataLeader(router, peers);
    this.reads = reads;
    this.timer = timer;
  }

  Router router() {
    return router;
  }

  @Override
  public void createQueueGroup(CreateQueueGroupRequest request, StreamObserver<QueueGroupDescription> response) {
    QueuePolicy policy = withDefaults(request.getPolicy(), request.getTopic());
    try {
      requireFeature();
      GroupRequests.validateGroup(request.getGroup());
      String problem = Names.topicProblem(request.getTopic());
      if (problem != null) {
        throw OrdoStatus.exception(ErrorCode.INVALID_TOPIC_NAME, problem);
      }
      problem = deadLetterTopicProblem(policy.getDeadLetterTopic(), request.getTopic());
      if (problem != null) {
        throw OrdoStatus.exception(ErrorCode.INVALID_TOPIC_NAME, "queue group '" + request.getGroup() + "': " + problem);
      }
      problem = QueueGroups.policyProblem(policy);
      if (problem != null) {
        throw OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "queue group '" + request.getGroup() + "': " + problem);
      }
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(
          QueueServiceGrpc.getCreateQueueGroupMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    metadataLeader.propose(
        MetadataCommand.newBuilder()
            .setCreateQueueGroup(
                CreateQueueGroup.newBuilder()
                    .setName(request.getGroup())
                    .setTopic(request.getTopic())
                    .setPolicy(policy)
                    .setStart(request.getStart() == StartFrom.START_FROM_LATEST ? GroupStart.GROUP_START_LATEST
                        : GroupStart.GROUP_START_EARLIEST))
            .build(),
        response,
        created -> {
          response.onNext(QueueGroupDescription.newBuilder()
              .setGroup(request.getGroup())
              .setTopic(request.getTopic())
              .setPolicy(policy)
              .setStart(request.getStart())
              .build());
          response.onCompleted();
        });
  }

  @Override
  public void describeQueueGroup(DescribeQueueGroupRequest request, StreamObserver<QueueGroupDescription> response) {
    try {
      GroupRequests.validateGroup(request.getGroup());
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    router.withCurrent(
        view -> view.group(request.getGroup()),
        () -> unknownGroup(request.getGroup()),
        group -> {
          if (!group.hasQueue()) {
            throw notAQueue(group.getName());
          }
          response.onNext(QueueGroupDescription.newBuilder()
              .setGroup(group.getName())
              .setTopic(group.getTopics(0))
              .setPolicy(group.getQueue().getPolicy())
              .setStart(group.getQueue().getStart() == GroupStart.GROUP_START_LATEST
                  ? StartFrom.START_FROM_LATEST : StartFrom.START_FROM_EARLIEST)
              .build());
          response.onCompleted();
        },
        response::onError);
  }

  /**
   * {@code policy} with each unset field taken from {@link #DEFAULT_POLICY}, and dead letters
   * exported to {@code <topic>.dlq} unless it names a topic or none.
   */
  public static QueuePolicy withDefaults(QueuePolicy policy, String topic) {
    QueuePolicy.Builder out = policy.toBuilder();
    if (!policy.hasDeadLetterTopic()) {
      out.setDeadLetterTopic(topic + DEAD_LETTER_TOPIC_SUFFIX);
    }
    if (policy.getMaxDeliveries() == 0) {
      out.setMaxDeliveries(DEFAULT_POLICY.getMaxDeliveries());
    }
    if (policy.getLeaseMs() == 0) {
      out.setLeaseMs(DEFAULT_POLICY.getLeaseMs());
    }
    if (policy.getBackoffMsCount() == 0) {
      out.addAllBackoffMs(DEFAULT_POLICY.getBackoffMsList());
    }
    if (policy.getMaxLeased() == 0) {
      out.setMaxLeased(DEFAULT_POLICY.getMaxLeased());
    }
    if (policy.getMaxUnfinished() == 0) {
      out.setMaxUnfinished(Math.max(out.getMaxLeased(), DEFAULT_POLICY.getMaxUnfinished()));
    }
    return out.build();
  }

  private static String deadLetterTopicProblem(String deadLetterTopic, String topic) {
    if (deadLetterTopic.isEmpty()) {
      return null;
    }
    if (deadLetterTopic.equals(topic)) {
      return "the dead-letter topic must not be the topic the group reads";
    }
    String problem = Names.topicProblem(deadLetterTopic);
    return problem == null ? null : "dead-letter topic: " + problem;
  }

  @Override
  public void receive(ReceiveRequest request, StreamObserver<ReceiveResponse> response) {
    try {
      if (request.getConsumer().isEmpty()) {
        throw OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "a consumer must name itself (consumer) to receive");
      }
      if (request.getMaxRecords() < 1 || request.getMaxRecords() > QueueGroups.MAX_RECORDS_PER_ACQUIRE) {
        throw OrdoStatus.exception(ErrorCode.INVALID_REQUEST,
            "max_records must be 1 to " + QueueGroups.MAX_RECORDS_PER_ACQUIRE + ", not " + request.getMaxRecords());
      }
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    onLeader(request.getGroup(), request.getTopic(), request.getPartition(), response, (group, replica) -> {
      if (idle(replica, request.getGroup())) {
        response.onNext(ReceiveResponse.getDefaultInstance());
        response.onCompleted();
        return;
      }
      acquire(replica, group, request.getConsumer(), request.getMaxRecords(), response, leased -> {
        if (!(leased instanceof QueueGroups.Leased deliveries)) {
          refuse(leased, response);
          return;
        }
        Context call = Context.current();
        reads.execute(call.wrap(() -> {
          response.onNext(readLeased(replica, request.getGroup(), request.getConsumer(), deliveries, true));
          response.onCompleted();
        }));
      });
    });
  }

  /**
   * Proposes leasing up to {@code maxRecords} records of the partition to {@code consumer};
   * {@code then} gets the result. A partition that has not met the group yet is given the group's
   * policy first (ConfigureQueue). A failure to commit goes to {@code response}.
   */
  void acquire(PartitionReplica replica, GroupRecord group, String consumer, int maxRecords, StreamObserver<?> response,
      Consumer<OpResult> then) {
    PartitionOp acquire =
        PartitionOp.newBuilder()
            .setAcquireRecords(
                AcquireRecords.newBuilder().setGroup(group.getName()).setConsumer(consumer).setMaxRecords(maxRecords))
            .build();
    propose(replica, acquire, response, leased -> {
      if (leased instanceof OpResult.Refused refused && refused.code() == ErrorCode.UNKNOWN_GROUP) {
        propose(replica, configure(group, replica), response, configured -> {
          if (configured instanceof OpResult.Refused) {
            then.accept(configured);
          } else {
            propose(replica, acquire, response, then);
          }
        });
      } else {
        then.accept(leased);
      }
    });
  }

  /**
   * Whether the partition has nothing to lease to the group, as last applied here: then a receive
   * is answered at once, without a Raft entry, so idle consumers that poll cost no writes.
   */
  static boolean idle(PartitionReplica replica, String group) {
    QueueGroups.Summary summary = replica.queueSummaries().get(group);
    long now = System.currentTimeMillis();
    return summary != null && summary.nothingToLease(replica.endOffset(), now) && replica.nextLeaseEndMs() > now;
  }

  private PartitionOp configure(GroupRecord group, PartitionReplica replica) {
    GroupStart start = GroupRequests.startIn(
        router.view(), group.getName(), group.getQueue().getStart(), replica.id().topicId(), replica.id().partition());
    return PartitionOp.newBuilder()
        .setConfigureQueue(
            ConfigureQueue.newBuilder()
                .setGroup(group.getName())
                .setPolicy(group.getQueue().getPolicy())
                .setStart(start)
                .setDeadLetterProducerId(ProducerIds.newId()))
        .build();
  }

  /**
   * The leased records read from the log, to answer with; with {@code send} false, or past the
   * byte limit, records are released at once instead (their delivery does not count). Reads, so
   * never on the partition's apply thread.
   */
  ReceiveResponse readLeased(
      PartitionReplica replica, String group, String consumer, QueueGroups.Leased leased, boolean send) {
    ReceiveResponse.Builder out = ReceiveResponse.newBuilder();
    List<RecordSettlement> unsent = new ArrayList<>();
    List<QueueLedger.Delivery> deliveries = leased.deliveries();
    long bytes = 0;
    // Consecutive offsets (most of a lease: new records come in order) are read in one go.
    for (int from = 0; from < deliveries.size(); ) {
      int to = from + 1;
      while (to < deliveries.size() && deliveries.get(to).offset() == deliveries.get(to - 1).offset() + 1) {
        to++;
      }
      List<ConsumedRecord> read = send && bytes < MAX_RECEIVE_BYTES
          ? replica.read(deliveries.get(from).offset(), to - from, (int) (MAX_RECEIVE_BYTES - bytes))
          : List.of();
      for (int i = from; i < to; i++) {
        QueueLedger.Delivery d = deliveries.get(i);
        ConsumedRecord record = i - from < read.size() ? read.get(i - from) : null;
        if (record == null || record.getOffset() != d.offset()) {
          unsent.add(RecordSettlement.newBuilder()
              .setOffset(d.offset()).setDeliveries(d.deliveries()).setAction(SettleAction.SETTLE_RELEASE).build());
          continue;
        }
        bytes += record.getSerializedSize();
        out.addRecords(LeasedRecord.newBuilder()
            .setRecord(record)
            .setDeliveries(d.deliveries())
            .setLeaseEndsAtMs(d.leaseEndsMs()));
      }
      from = to;
    }
    if (!unsent.isEmpty()) {
      replica.propose(settle(group, consumer, unsent), 0, new OpCallback() {
        @Override
        public void onApplied(OpResult released, long timestampMs) {}

        @Override
        public void onFailed(ReplicaError error) {} // the leases end on their own
      });
    }
    return out.build();
  }

  @Override
  public void settle(SettleRequest request, StreamObserver<SettleResponse> response) {
    onLeader(request.getGroup(), request.getTopic(), request.getPartition(), response, (group, replica) ->
        settle(replica, request.getGroup(), request.getConsumer(), request.getSettlementsList(), response, outcomes -> {
          response.onNext(SettleResponse.newBuilder().addAllOutcomes(outcomes).build());
          response.onCompleted();
        }));
  }

  /** Proposes the settlements; {@code then} gets one outcome each, and {@code response} any failure. */
  void settle(PartitionReplica replica, String group, String consumer, List<RecordSettlement> settlements,
      StreamObserver<?> response, Consumer<List<SettleOutcome>> then) {
    propose(replica, settle(group, consumer, settlements), response, result -> {
      if (result instanceof QueueGroups.Settlements settled) {
        then.accept(settled.outcomes());
      } else {
        refuse(result, response);
      }
    });
  }

  @Override
  public StreamObserver<ConsumeRequest> consume(StreamObserver<ConsumeResponse> response) {
    return new QueueConsumeStream(this, (ServerCallStreamObserver<ConsumeResponse>) response, reads, timer);
  }

  @Override
  public void describeQueuePartition(QueuePartitionRequest request, StreamObserver<QueuePartitionStatus> response) {
    onLeader(request.getGroup(), request.getTopic(), request.getPartition(), response, (group, replica) -> {
      QueuePartitionStatus.Builder out = QueuePartitionStatus.newBuilder().setEndOffset(replica.endOffset());
      QueueGroups.Summary summary = replica.queueSummaries().get(request.getGroup());
      if (summary != null) {
        QueueProgress p = summary.progress();
        out.setKnown(true)
            .setFloor(p.getFloor())
            .setCursor(p.getCursor())
            .setInFlight(summary.leased())
            .setWaiting(summary.waiting())
            .setBlocked(summary.blocked())
            .setDead(summary.dead())
            .setUnexported(summary.unexported())
            .setAcked(p.getAcked())
            .setRedelivered(p.getRedelivered())
            .setDeadLettered(p.getDeadLettered());
      }
      response.onNext(out.build());
      response.onCompleted();
    });
  }

  @Override
  public void listDeadLetters(ListDeadLettersRequest request, StreamObserver<ListDeadLettersResponse> response) {
    if (request.getMaxRecords() < 1 || request.getMaxRecords() > QueueGroups.MAX_RECORDS_PER_ACQUIRE) {
      response.onError(OrdoStatus.exception(ErrorCode.INVALID_REQUEST,
          "max_records must be 1 to " + QueueGroups.MAX_RECORDS_PER_ACQUIRE + ", not " + request.getMaxRecords()));
      return;
    }
    onLeader(request.getGroup(), request.getTopic(), request.getPartition(), response, (group, replica) -> {
      Context call = Context.current();
      reads.execute(call.wrap(() -> {
        PartitionStore.QueueRecords dead =
            replica.deadLetters(request.getGroup(), Math.max(0, request.getFromOffset()), request.getMaxRecords());
        ListDeadLettersResponse.Builder out = ListDeadLettersResponse.newBuilder().setNextOffset(dead.nextOffset());
        for (QueueRecord r : dead.records()) {
          List<ConsumedRecord> read = replica.read(r.getOffset(), 1, MAX_RECEIVE_BYTES);
          DeadLetter.Builder letter = DeadLetter.newBuilder()
              .setDeliveries(r.getDeliveries())
              .setReason(r.getDeadReason())
              .setLastError(r.getLastError())
              .setDeadAtMs(r.getDeadAtMs());
          if (!read.isEmpty()) {
            letter.setRecord(read.get(0));
          }
          out.addDeadLetters(letter);
        }
        response.onNext(out.build());
        response.onCompleted();
      }));
    });
  }

  @Override
  public void redriveDeadLetters(QueuePartitionRequest request, StreamObserver<RedriveDeadLettersResponse> response) {
    PartitionOp redrive = PartitionOp.newBuilder()
        .setRedriveDeadLetters(RedriveDeadLetters.newBuilder().setGroup(request.getGroup()))
        .build();
    onLeader(request.getGroup(), request.getTopic(), request.getPartition(), response, (group, replica) ->
        propose(replica, redrive, response, result -> {
          if (result instanceof QueueGroups.Redriven redriven) {
            response.onNext(RedriveDeadLettersResponse.newBuilder().setRedriven(redriven.records()).build());
            response.onCompleted();
          } else if (result instanceof OpResult.Refused refused && refused.code() == ErrorCode.UNKNOWN_GROUP) {
            // No consumer has received from this partition yet: it holds no dead letters.
            response.onNext(RedriveDeadLettersResponse.getDefaultInstance());
            response.onCompleted();
          } else {
            refuse(result, response);
          }
        }));
  }

  /**
   * Runs {@code then} with the queue group and this node's replica of the partition, if the group
   * reads its topic and this node leads the partition; otherwise answers why not.
   */
  void onLeader(String group, String topic, int partition, StreamObserver<?> response,
      BiConsumer<GroupRecord, PartitionReplica> then) {
    try {
      GroupRequests.validateGroup(group);
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    withQueueGroup(group, topic, known -> router.withTopic(topic, t -> then.accept(known, router.leader(t, partition)),
        response::onError), response::onError);
  }

  private static PartitionOp settle(String group, String consumer, List<RecordSettlement> settlements) {
    SettleRecords.Builder op = SettleRecords.newBuilder().setGroup(group).setConsumer(consumer);
    for (RecordSettlement s : settlements) {
      op.addSettlements(Settlement.newBuilder()
          .setOffset(s.getOffset())
          .setDeliveries(s.getDeliveries())
          .setAction(s.getAction())
          .setDelayMs(s.getDelayMs())
          .setReason(s.getReason()));
    }
    return PartitionOp.newBuilder().setSettleRecords(op).build();
  }

  /**
   * Runs {@code then} with the queue group reading {@code topic}, or {@code onError} with why not. A
   * group just created may not have reached this node's view yet: the router confirms the view is
   * current before it answers that the group does not exist.
   */
  private void withQueueGroup(
      String name, String topic, Consumer<GroupRecord> then, Consumer<StatusRuntimeException> onError) {
    router.withCurrent(
        view -> view.group(name),
        () -> unknownGroup(name),
        group -> {
          requireFeature();
          if (!group.hasQueue()) {
            throw notAQueue(name);
          }
          if (!group.getTopicsList().contains(topic)) {
            throw OrdoStatus.exception(ErrorCode.INVALID_REQUEST,
                "queue group '" + name + "' reads topic " + group.getTopicsList() + ", not '" + topic + "'");
          }
          then.accept(group);
        },
        onError);
  }

  private static StatusRuntimeException unknownGroup(String name) {
    return OrdoStatus.exception(
        ErrorCode.UNKNOWN_GROUP, "queue group '" + name + "' does not exist: create it first (ordo queue create)");
  }

  private static StatusRuntimeException notAQueue(String name) {
    return OrdoStatus.exception(ErrorCode.UNKNOWN_GROUP, "'" + name + "' is a stream group, not a queue group");
  }

  private void propose(PartitionReplica replica, PartitionOp op, StreamObserver<?> response, Consumer<OpResult> then) {
    PartitionCalls.propose(router, replica, op, response, then);
  }

  static void refuse(OpResult result, StreamObserver<?> response) {
    response.onError(result instanceof OpResult.Refused refused
        ? OrdoStatus.exception(refused.code(), refused.message())
        : OrdoStatus.exception(ErrorCode.INTERNAL_ERROR, "unexpected result " + result));
  }

  private void requireFeature() {
    GroupRequests.requireFeature(router.view(), FeatureLevel.QUEUE_GROUPS, "queue groups");
  }
}
