package io.ordo.node.grpc;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.ordo.node.coordinator.GroupCoordinator;
import io.ordo.node.coordinator.TopicPartition;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.ClaimPartition;
import io.ordo.proto.raft.v1.CommitOffset;
import io.ordo.proto.raft.v1.DeleteGroup;
import io.ordo.proto.raft.v1.DeleteGroupOffset;
import io.ordo.proto.raft.v1.GroupRecord;
import io.ordo.proto.raft.v1.GroupStart;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.RegisterGroup;
import io.ordo.proto.raft.v1.ResetGroupOffset;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ClaimPartitionRequest;
import io.ordo.proto.v1.CommitOffsetRequest;
import io.ordo.proto.v1.DeleteGroupRequest;
import io.ordo.proto.v1.DeleteGroupResponse;
import io.ordo.proto.v1.DescribeGroupRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.FetchOffsetRequest;
import io.ordo.proto.v1.GroupDescription;
import io.ordo.proto.v1.GroupOffsetResponse;
import io.ordo.proto.v1.GroupServiceGrpc;
import io.ordo.proto.v1.GroupSummary;
import io.ordo.proto.v1.HeartbeatRequest;
import io.ordo.proto.v1.HeartbeatResponse;
import io.ordo.proto.v1.LeaveGroupRequest;
import io.ordo.proto.v1.LeaveGroupResponse;
import io.ordo.proto.v1.ListGroupsRequest;
import io.ordo.proto.v1.ListGroupsResponse;
import io.ordo.proto.v1.MemberDescription;
import io.ordo.proto.v1.ResetOffsetRequest;
import io.ordo.proto.v1.SpecialOffset;
import io.ordo.proto.v1.StartFrom;
import io.ordo.proto.v1.TopicPartitions;
import io.ordo.protocol.Names;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.FeatureLevel;
import io.ordo.raft.metadata.MetadataReplica;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.replica.OpResult;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * GroupService. Membership calls (heartbeat, leave, list, describe, delete) are answered by the
 * group coordinator on the metadata leader; other nodes forward them there, asynchronously, within
 * the caller's deadline. Offset calls (claim, commit, fetch, reset, delete) go to the partition's
 * leader, where they are ops of the partition's own state machine.
 */
public final class GroupGrpcService extends GroupServiceGrpc.GroupServiceImplBase {
  /** Session timeout of a member that does not ask for one. */
  static final int DEFAULT_SESSION_TIMEOUT_MS = 10_000;
  /** Heartbeats per session timeout: a member survives two lost ones. */
  private static final int HEARTBEATS_PER_SESSION = 5;
  /**
   * How soon a member waiting for partitions that another member is letting go asks again: the
   * other member releases them as soon as it hears, so a full interval would only add delay.
   */
  private static final int WAITING_HEARTBEAT_INTERVAL_MS = 200;
  private static final long FORWARD_DEADLINE_MS = 5_000;
  private static final String COORDINATOR = "the group coordinator (the metadata leader)";

  private final Router router;
  private final MetadataLeader metadataLeader;
  private final LongSupplier clock;
  /** The coordinator of the metadata term this node leads in; null when it does not lead. */
  private GroupCoordinator coordinator;
  private long coordinatorTerm = -1;

  public GroupGrpcService(Router router, PeerChannels peers, LongSupplier clock) {
    this.router = router;
    this.metadataLeader = new MetadataLeader(router, peers);
    this.clock = clock;
  }

  /** Drops members whose session ended; run periodically. */
  public void expireMembers() {
    localCoordinator().ifPresent(c -> c.expire(clock.getAsLong()));
  }

  /** The coordinator of this node's metadata term, new when the term is; empty when not the leader. */
  private synchronized Optional<GroupCoordinator> localCoordinator() {
    MetadataReplica metadata = router.metadata();
    long term = metadata.leaderTerm();
    if (term <= 0 || !metadata.isLeader()) {
      coordinator = null;
      return Optional.empty();
    }
    if (coordinator == null || coordinatorTerm != term) {
      coordinator = new GroupCoordinator(term, this::partitionCount, () -> UUID.randomUUID().toString());
      coordinatorTerm = term;
    }
    return Optional.of(coordinator);
  }

  private int partitionCount(String topic) {
    return router.view().topic(topic).map(t -> t.getPartitionsCount()).orElse(-1);
  }

  // ---- membership: on the coordinator ----

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> response) {
    Optional<GroupCoordinator> local;
    int session = request.getSessionTimeoutMs() == 0 ? DEFAULT_SESSION_TIMEOUT_MS : request.getSessionTimeoutMs();
    try {
      requireFeature();
      GroupRequests.validateGroup(request.getGroup());
      if (request.getTopicsCount() == 0) {
        throw invalid("a member must read at least one topic");
      }
      for (String topic : request.getTopicsList()) {
        String problem = Names.topicProblem(topic);
        if (problem != null) {
          throw OrdoStatus.exception(ErrorCode.INVALID_TOPIC_NAME, problem);
        }
      }
      if (session < GroupCoordinator.MIN_SESSION_TIMEOUT_MS || session > GroupCoordinator.MAX_SESSION_TIMEOUT_MS) {
        throw invalid("session_timeout_ms must be " + GroupCoordinator.MIN_SESSION_TIMEOUT_MS + " to "
            + GroupCoordinator.MAX_SESSION_TIMEOUT_MS + ", not " + session);
      }
      local = localCoordinator();
      if (local.isEmpty()) {
        metadataLeader.forward(GroupServiceGrpc.getHeartbeatMethod(), request, response, FORWARD_DEADLINE_MS, COORDINATOR);
        return;
      }
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    GroupCoordinator groups = local.get();
    Runnable answer = () -> answer(response, () -> {
      GroupCoordinator.Assignment assignment =
          groups.heartbeat(
              request.getGroup(),
              request.getMemberId(),
              new LinkedHashSet<>(request.getTopicsList()),
              fromProto(request.getOwnedList()),
              session,
              clock.getAsLong());
      return HeartbeatResponse.newBuilder()
          .setMemberId(assignment.memberId())
          .setGeneration(assignment.generation())
          .setHeartbeatIntervalMs(
              assignment.waiting() ? WAITING_HEARTBEAT_INTERVAL_MS : session / HEARTBEATS_PER_SESSION)
          .addAllAssigned(toProto(assignment.partitions()))
          .build();
    });
    Optional<GroupRecord> known = router.view().group(request.getGroup());
    if (known.isPresent() && known.get().hasQueue()) {
      response.onError(OrdoStatus.exception(ErrorCode.GROUP_ALREADY_EXISTS,
          "'" + request.getGroup() + "' is a queue group: receive from it with QueueService, or pick another name"));
      return;
    }
    if (known.isPresent() && known.get().getTopicsList().containsAll(request.getTopicsList())) {
      answer.run();
      return;
    }
    // A new group, or one reading a new topic: on record first, so list, describe and delete know it.
    metadataLeader.propose(
        MetadataCommand.newBuilder()
            .setRegisterGroup(RegisterGroup.newBuilder().setName(request.getGroup()).addAllTopics(request.getTopicsList()))
            .build(),
        response,
        result -> answer.run());
  }

  @Override
  public void leaveGroup(LeaveGroupRequest request, StreamObserver<LeaveGroupResponse> response) {
    Optional<GroupCoordinator> local = localCoordinator();
    if (local.isEmpty()) {
      metadataLeader.forward(GroupServiceGrpc.getLeaveGroupMethod(), request, response, FORWARD_DEADLINE_MS, COORDINATOR);
      return;
    }
    answer(response, () -> {
      local.get().leave(request.getGroup(), request.getMemberId());
      return LeaveGroupResponse.getDefaultInstance();
    });
  }

  @Override
  public void listGroups(ListGroupsRequest request, StreamObserver<ListGroupsResponse> response) {
    Optional<GroupCoordinator> local = localCoordinator();
    if (local.isEmpty()) {
      metadataLeader.forward(GroupServiceGrpc.getListGroupsMethod(), request, response, FORWARD_DEADLINE_MS, COORDINATOR);
      return;
    }
    answer(response, () -> {
      ListGroupsResponse.Builder out = ListGroupsResponse.newBuilder();
      for (GroupRecord g : router.view().state().getGroupsList()) {
        out.addGroups(
            GroupSummary.newBuilder()
                .setName(g.getName())
                .addAllTopics(g.getTopicsList())
                .setMembers(local.get().memberCount(g.getName()))
                .setQueue(g.hasQueue()));
      }
      return out.build();
    });
  }

  @Override
  public void describeGroup(DescribeGroupRequest request, StreamObserver<GroupDescription> response) {
    Optional<GroupCoordinator> local = localCoordinator();
    if (local.isEmpty()) {
      metadataLeader.forward(GroupServiceGrpc.getDescribeGroupMethod(), request, response, FORWARD_DEADLINE_MS, COORDINATOR);
      return;
    }
    answer(response, () -> {
      GroupRecord group = knownGroup(request.getGroup());
      GroupDescription.Builder out = GroupDescription.newBuilder()
          .setName(group.getName())
          .addAllTopics(group.getTopicsList())
          .setQueue(group.hasQueue());
      local.get().describe(group.getName()).ifPresent(view -> {
        out.setGeneration(view.generation());
        for (GroupCoordinator.MemberView m : view.members()) {
          out.addMembers(
              MemberDescription.newBuilder()
                  .setMemberId(m.memberId())
                  .addAllAssigned(toProto(m.assigned()))
                  .addAllOwned(toProto(m.owned())));
        }
      });
      return out.build();
    });
  }

  @Override
  public void deleteGroup(DeleteGroupRequest request, StreamObserver<DeleteGroupResponse> response) {
    Optional<GroupCoordinator> local = localCoordinator();
    if (local.isEmpty()) {
      metadataLeader.forward(GroupServiceGrpc.getDeleteGroupMethod(), request, response, FORWARD_DEADLINE_MS, COORDINATOR);
      return;
    }
    try {
      GroupRecord group = knownGroup(request.getGroup());
      int members = local.get().memberCount(group.getName());
      if (members > 0) {
        throw OrdoStatus.exception(
            ErrorCode.GROUP_NOT_EMPTY,
            "group '" + group.getName() + "' has " + members + " live members; stop them before deleting it");
      }
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    metadataLeader.propose(
        MetadataCommand.newBuilder().setDeleteGroup(DeleteGroup.newBuilder().setName(request.getGroup())).build(),
        response,
        result -> {
          response.onNext(DeleteGroupResponse.getDefaultInstance());
          response.onCompleted();
        });
  }

  private GroupRecord knownGroup(String name) {
    GroupRequests.validateGroup(name);
    return router.view().group(name).orElseThrow(() -> OrdoStatus.exception(
        ErrorCode.UNKNOWN_GROUP, "group '" + name + "' does not exist"));
  }

  // ---- offsets: on the partition's leader ----

  @Override
  public void claimPartition(ClaimPartitionRequest request, StreamObserver<GroupOffsetResponse> response) {
    proposeOffsetOp(request.getGroup(), request.getTopic(), request.getPartition(), response, () -> {
      requireMember(request.getMemberId(), request.getGeneration());
      GroupStart asked = request.getStartFrom() == StartFrom.START_FROM_LATEST
          ? GroupStart.GROUP_START_LATEST : GroupStart.GROUP_START_EARLIEST;
      long topicId = router.view().topic(request.getTopic()).map(TopicRecord::getTopicId).orElse(0L);
      return PartitionOp.newBuilder()
          .setClaimPartition(
              ClaimPartition.newBuilder()
                  .setGroup(request.getGroup())
                  .setMemberId(request.getMemberId())
                  .setGeneration(request.getGeneration())
                  .setStart(GroupRequests.startIn(router.view(), request.getGroup(), asked, topicId, request.getPartition())))
          .build();
    });
  }

  @Override
  public void commitOffset(CommitOffsetRequest request, StreamObserver<GroupOffsetResponse> response) {
    proposeOffsetOp(request.getGroup(), request.getTopic(), request.getPartition(), response, () -> {
      requireMember(request.getMemberId(), request.getGeneration());
      if (request.getOffset() < 0) {
        throw invalid("offset must not be negative, not " + request.getOffset());
      }
      return PartitionOp.newBuilder()
          .setCommitOffset(
              CommitOffset.newBuilder()
                  .setGroup(request.getGroup())
                  .setMemberId(request.getMemberId())
                  .setGeneration(request.getGeneration())
                  .setOffset(request.getOffset()))
          .build();
    });
  }

  @Override
  public void resetOffset(ResetOffsetRequest request, StreamObserver<GroupOffsetResponse> response) {
    proposeOffsetOp(request.getGroup(), request.getTopic(), request.getPartition(), response, () -> {
      if (request.getOffset() < 0
          && request.getOffset() != SpecialOffset.EARLIEST_VALUE
          && request.getOffset() != SpecialOffset.LATEST_VALUE) {
        throw invalid("offset must be an offset in the log, EARLIEST (-2) or LATEST (-1), not " + request.getOffset());
      }
      return PartitionOp.newBuilder()
          .setResetGroupOffset(ResetGroupOffset.newBuilder().setGroup(request.getGroup()).setOffset(request.getOffset()))
          .build();
    });
  }

  @Override
  public void deleteOffset(FetchOffsetRequest request, StreamObserver<GroupOffsetResponse> response) {
    proposeOffsetOp(request.getGroup(), request.getTopic(), request.getPartition(), response, () ->
        PartitionOp.newBuilder().setDeleteGroupOffset(DeleteGroupOffset.newBuilder().setGroup(request.getGroup())).build());
  }

  @Override
  public void fetchOffset(FetchOffsetRequest request, StreamObserver<GroupOffsetResponse> response) {
    try {
      GroupRequests.validateGroup(request.getGroup());
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    router.withTopic(request.getTopic(), topic -> answer(response, () -> {
      PartitionReplica replica = router.leader(topic, request.getPartition());
      var offset = replica.groupOffset(request.getGroup()).orElseThrow(() -> OrdoStatus.exception(
          ErrorCode.UNKNOWN_GROUP,
          "group '" + request.getGroup() + "' has no committed offset in " + request.getTopic() + "/"
              + request.getPartition()));
      return GroupOffsetResponse.newBuilder()
          .setCommittedOffset(offset.getCommittedOffset())
          .setOwnerMemberId(offset.getOwnerMemberId())
          .setOwnerGeneration(offset.getOwnerGeneration())
          .build();
    }), response::onError);
  }

  /** An op for the partition's state machine, built (and validated) by {@code op}, proposed on its leader. */
  private void proposeOffsetOp(
      String group, String topic, int partition, StreamObserver<GroupOffsetResponse> response, OpBuilder op) {
    PartitionOp built;
    try {
      requireFeature();
      GroupRequests.validateGroup(group);
      built = op.build();
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    router.withTopic(topic, record -> propose(router.leader(record, partition), built, topic, partition, response),
        response::onError);
  }

  private void propose(
      PartitionReplica replica, PartitionOp built, String topic, int partition, StreamObserver<GroupOffsetResponse> response) {
    PartitionCalls.propose(router, replica, built, response, result -> {
      if (result instanceof OpResult.GroupPosition position) {
        response.onNext(GroupOffsetResponse.newBuilder().setCommittedOffset(position.committedOffset()).build());
        response.onCompleted();
      } else if (result instanceof OpResult.Refused refused) {
        response.onError(OrdoStatus.exception(refused.code(), topic + "/" + partition + ": " + refused.message()));
      } else {
        response.onError(OrdoStatus.exception(ErrorCode.INTERNAL_ERROR, "unexpected result " + result));
      }
    });
  }

  @FunctionalInterface
  private interface OpBuilder {
    PartitionOp build();
  }

  // ---- shared ----

  private void requireFeature() {
    GroupRequests.requireFeature(router.view(), FeatureLevel.STREAM_GROUPS, "consumer groups");
  }

  private static void requireMember(String memberId, long generation) {
    if (memberId.isEmpty() || generation <= 0) {
      throw invalid("member_id and generation must come from a heartbeat's answer (got '" + memberId + "', "
          + generation + ")");
    }
  }

  private static StatusRuntimeException invalid(String message) {
    return OrdoStatus.exception(ErrorCode.INVALID_REQUEST, message);
  }

  private static <T> void answer(StreamObserver<T> response, java.util.function.Supplier<T> body) {
    T out;
    try {
      out = body.get();
    } catch (GroupCoordinator.Refused e) {
      response.onError(OrdoStatus.exception(e.code(), e.getMessage()));
      return;
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    response.onNext(out);
    response.onCompleted();
  }

  private static Set<TopicPartition> fromProto(Collection<TopicPartitions> partitions) {
    Set<TopicPartition> out = new HashSet<>();
    for (TopicPartitions tp : partitions) {
      tp.getPartitionsList().forEach(p -> out.add(new TopicPartition(tp.getTopic(), p)));
    }
    return out;
  }

  private static List<TopicPartitions> toProto(SortedSet<TopicPartition> partitions) {
    Map<String, TopicPartitions.Builder> byTopic = new TreeMap<>();
    for (TopicPartition tp : partitions) {
      byTopic.computeIfAbsent(tp.topic(), t -> TopicPartitions.newBuilder().setTopic(t)).addPartitions(tp.partition());
    }
    return byTopic.values().stream().map(TopicPartitions.Builder::build).toList();
  }
}
