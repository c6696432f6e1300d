package io.ordo.node.grpc;

import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.ordo.node.membership.MembershipDriver;
import io.ordo.node.routing.CallerDeadline;
import io.ordo.node.routing.ClusterInspector;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.AddPartitions;
import io.ordo.proto.raft.v1.CreateTopic;
import io.ordo.proto.raft.v1.DecommissionNode;
import io.ordo.proto.raft.v1.DeleteTopic;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.ReassignPartitions;
import io.ordo.proto.raft.v1.SetTopicConfig;
import io.ordo.proto.raft.v1.TopicConfig;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.AlterTopicRequest;
import io.ordo.proto.v1.ClusterDescription;
import io.ordo.proto.v1.CreateTopicRequest;
import io.ordo.proto.v1.DeleteTopicRequest;
import io.ordo.proto.v1.DeleteTopicResponse;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.DescribeTopicRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ListTopicsRequest;
import io.ordo.proto.v1.ListTopicsResponse;
import io.ordo.proto.v1.PartitionReplicas;
import io.ordo.proto.v1.ReassignPartitionsRequest;
import io.ordo.proto.v1.RemoveNodeRequest;
import io.ordo.proto.v1.RemoveNodeResponse;
import io.ordo.proto.v1.TopicDescription;
import io.ordo.proto.v1.TopicSummary;
import io.ordo.protocol.Limits;
import io.ordo.protocol.Names;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.Evacuation;
import io.ordo.raft.metadata.FeatureLevel;
import io.ordo.raft.metadata.MetadataView;
import io.ordo.raft.metadata.Placement;
import io.ordo.raft.metadata.TopicConfigs;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * AdminService. Calls go to the metadata leader (proposed there, or passed on to it), so a client
 * reads its own writes whichever node it asks. Reads fall back to this node's own, possibly stale,
 * view while the metadata group has no leader. No call holds a thread while it waits: on Raft, on
 * the leader, or on the nodes it probes.
 */
public final class AdminGrpcService extends AdminServiceGrpc.AdminServiceImplBase {
  /** How long CreateTopic waits for every new partition to elect a leader before answering. */
  private static final long LEADERS_WAIT_MS = 15_000;
  /** How often CreateTopic looks again for the new partitions' leaders. */
  private static final long LEADERS_RECHECK_MS = 100;
  private static final long FORWARD_DEADLINE_MS = 30_000;
  /**
   * A metadata leader that cannot answer a read this fast is likely gone or cut off: this node's
   * own view answers instead, within the caller's deadline. A leader's answer includes probing
   * every node (ClusterInspector), whose wait is cut to fit inside this one.
   */
  private static final long READ_DEADLINE_MS = 1_500;
  private static final String METADATA_LEADER = "the metadata leader";

  private final Router router;
  private final ClusterInspector inspector;
  private final PeerChannels peers;
  private final MetadataLeader metadataLeader;
  private final ScheduledExecutorService timer;

  /** @param timer runs CreateTopic's look for leaders, off the metadata group's apply thread */
  public AdminGrpcService(Router router, ClusterInspector inspector, PeerChannels peers, ScheduledExecutorService timer) {
    this.router = router;
    this.inspector = inspector;
    this.peers = peers;
    this.metadataLeader = new MetadataLeader(router, peers);
    this.timer = timer;
  }

  @Override
  public void createTopic(CreateTopicRequest request, StreamObserver<TopicDescription> response) {
    try {
      validate(request);
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(AdminServiceGrpc.getCreateTopicMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    List<Integer> live = router.liveNodeIds();
    if (request.getReplicationFactor() > live.size()) {
      response.onError(OrdoStatus.exception(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          "replication factor " + request.getReplicationFactor() + " is more than the " + live.size()
              + " live nodes " + live + "; use at most " + live.size()));
      return;
    }
    TopicConfig config;
    try {
      if (request.getConfigCount() > 0) {
        GroupRequests.requireFeature(router.view(), FeatureLevel.RETENTION, "topic settings");
      }
      config = topicConfig(TopicConfig.getDefaultInstance(), request.getConfigMap(), List.of());
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    MetadataCommand command =
        MetadataCommand.newBuilder()
            .setCreateTopic(
                CreateTopic.newBuilder()
                    .setName(request.getName())
                    .setReplicationFactor(request.getReplicationFactor())
                    .setConfig(config)
                    .addAllPartitions(
                        Placement.assign(
                            live, router.view().racks(), router.view().topics().values(), request.getPartitions(), request.getReplicationFactor())))
            .build();
    proposeAndAwaitLeaders(command, response);
  }

  /** Proposes a command that creates or grows a topic, then answers with it once its partitions have leaders. */
  private void proposeAndAwaitLeaders(MetadataCommand command, StreamObserver<TopicDescription> response) {
    Context call = Context.current();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CallerDeadline.cap(LEADERS_WAIT_MS));
    metadataLeader.propose(command, response, done -> {
      LeadersWait wait = new LeadersWait(done.topic(), response);
      wait.deadline = timer.schedule(call.wrap(wait::answerAsItIs), Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      timer.execute(call.wrap(wait::look));
    });
  }

  @Override
  public void alterTopic(AlterTopicRequest request, StreamObserver<TopicDescription> response) {
    boolean settings = request.getConfigCount() > 0 || request.getResetConfigCount() > 0;
    if (request.hasPartitions() == settings) {
      response.onError(OrdoStatus.exception(ErrorCode.INVALID_REQUEST, settings
          ? "the request changes both the partitions and the settings: change one, then the other"
          : "the request changes nothing: set partitions, or settings (config, reset_config)"));
      return;
    }
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(AdminServiceGrpc.getAlterTopicMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    if (settings) {
      router.withTopic(request.getName(), topic -> {
        GroupRequests.requireFeature(router.view(), FeatureLevel.RETENTION, "topic settings");
        SetTopicConfig set = SetTopicConfig.newBuilder()
            .setTopicId(topic.getTopicId())
            .setConfig(topicConfig(topic.getConfig(), request.getConfigMap(), request.getResetConfigList()))
            .build();
        proposeAndAwaitLeaders(MetadataCommand.newBuilder().setSetTopicConfig(set).build(), response);
      }, response::onError);
      return;
    }
    router.withTopic(request.getName(), topic -> {
      GroupRequests.requireFeature(router.view(), FeatureLevel.ADD_PARTITIONS, "partitions added to a topic");
      int current = topic.getPartitionsCount();
      if (request.getPartitions() <= current || request.getPartitions() > Limits.MAX_PARTITIONS) {
        throw OrdoStatus.exception(
            ErrorCode.INVALID_PARTITION_COUNT,
            "topic '" + topic.getName() + "' has " + current + " partitions; "
                + (current >= Limits.MAX_PARTITIONS
                    ? "that is the most a topic may have"
                    : "it can grow to " + (current + 1) + ".." + Limits.MAX_PARTITIONS + " (partitions are never removed), not "
                        + request.getPartitions()));
      }
      List<Integer> live = router.liveNodeIds();
      if (topic.getReplicationFactor() > live.size()) {
        throw OrdoStatus.exception(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            "topic '" + topic.getName() + "' has replication factor " + topic.getReplicationFactor() + " but only "
                + live.size() + " nodes are live " + live + "; bring nodes back first");
      }
      AddPartitions.Builder add = AddPartitions.newBuilder().setTopic(topic.getName()).setTopicId(topic.getTopicId());
      for (PartitionPlacement p :
          Placement.assign(
              live, router.view().racks(), router.view().topics().values(), request.getPartitions() - current,
              topic.getReplicationFactor())) {
        add.addPartitions(p.toBuilder().setPartition(current + p.getPartition()));
      }
      proposeAndAwaitLeaders(MetadataCommand.newBuilder().setAddPartitions(add).build(), response);
    }, response::onError);
  }

  @Override
  public void reassignPartitions(ReassignPartitionsRequest request, StreamObserver<TopicDescription> response) {
    if (request.getPartitionsCount() == 0) {
      response.onError(OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "the request moves nothing: name partitions and their replicas"));
      return;
    }
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(AdminServiceGrpc.getReassignPartitionsMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    router.withTopic(request.getTopic(), topic -> {
      GroupRequests.requireFeature(router.view(), FeatureLevel.MEMBERSHIP, "partition reassignment");
      List<Integer> live = router.liveNodeIds();
      ReassignPartitions.Builder reassign = ReassignPartitions.newBuilder().setTopicId(topic.getTopicId());
      for (PartitionReplicas target : request.getPartitionsList()) {
        List<Integer> down = target.getReplicasList().stream()
            .filter(n -> !live.contains(n) && router.view().node(n).isPresent())
            .toList();
        if (!down.isEmpty()) {
          // A replica on a node that is down could never catch up: the move would not finish.
          throw OrdoStatus.exception(
              ErrorCode.INVALID_REPLICATION_FACTOR,
              "partition " + target.getPartition() + " cannot move to nodes " + down + ": they are not live (live: " + live + ")");
        }
        reassign.addPartitions(
            PartitionPlacement.newBuilder().setPartition(target.getPartition()).addAllTargetReplicas(target.getReplicasList()));
      }
      metadataLeader.propose(
          MetadataCommand.newBuilder().setReassignPartitions(reassign).build(),
          response,
          done -> inspector.describe(done.topic()).whenComplete(reply(response)));
    }, response::onError);
  }

  @Override
  public void removeNode(RemoveNodeRequest request, StreamObserver<RemoveNodeResponse> response) {
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(AdminServiceGrpc.getRemoveNodeMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    try {
      GroupRequests.requireFeature(router.view(), FeatureLevel.MEMBERSHIP, "removing nodes");
      int leaving = request.getNodeId();
      NodeInfo node = router.view().node(leaving).orElseThrow(() -> OrdoStatus.exception(
          ErrorCode.INVALID_REQUEST, "node " + leaving + " is not registered (nodes " + registeredIds() + ")"));
      List<Integer> staying = router.liveNodeIds().stream().filter(id -> id != leaving).toList();
      Evacuation.Plan plan = Evacuation.plan(router.view().topics().values(), leaving, staying, router.view().racks());
      if (!plan.stuck().isEmpty()) {
        throw OrdoStatus.exception(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            "node " + leaving + " cannot leave: partitions " + plan.stuck() + " have a replica on every other live node "
                + staying + "; add a node first, or reassign them to fewer replicas");
      }
      if (router.metadata().memberPeerIds().contains(MetadataView.raftPeer(node))
          && MembershipDriver.successorInMetadataGroup(router, leaving).isEmpty()) {
        throw OrdoStatus.exception(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            "node " + leaving + " votes in the metadata group and no node that joined later can take its place;"
                + " add a node first ('bin/ordo-cluster add-node', or a node started with --join)");
      }
      metadataLeader.propose(
          MetadataCommand.newBuilder().setDecommissionNode(DecommissionNode.newBuilder().setNodeId(leaving)).build(),
          response,
          done -> reply(response).accept(RemoveNodeResponse.newBuilder().setPartitionsToMove(plan.partitions()).build(), null));
    } catch (StatusRuntimeException e) {
      response.onError(e);
    }
  }

  private List<Integer> registeredIds() {
    return router.view().state().getNodesList().stream().map(NodeInfo::getNodeId).toList();
  }

  /**
   * CreateTopic's wait: answers the topic's description once every partition has a leader, or at
   * the deadline as it was last seen, even while a look at the nodes is under way (at a thousand
   * partitions one takes a while): the topic exists either way, and the caller must hear so before
   * its own deadline.
   */
  private final class LeadersWait {
    private final TopicRecord topic;
    private final StreamObserver<TopicDescription> response;
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile TopicDescription latest;
    /** The answer at the deadline, cancelled by an earlier one. */
    private volatile ScheduledFuture<?> deadline;

    LeadersWait(TopicRecord topic, StreamObserver<TopicDescription> response) {
      this.topic = topic;
      this.response = response;
      this.latest = ClusterInspector.withoutReports(topic);
    }

    /** Runs in the call's context. */
    void look() {
      if (answered.get()) {
        return;
      }
      Context call = Context.current();
      inspector.describe(topic).whenComplete((description, error) -> {
        if (error != null) {
          answer(null, error);
          return;
        }
        latest = description;
        if (description.getPartitionsList().stream().allMatch(p -> p.getLeader() != 0)) {
          answer(description, null);
        } else {
          timer.schedule(call.wrap(this::look), LEADERS_RECHECK_MS, TimeUnit.MILLISECONDS);
        }
      });
    }

    void answerAsItIs() {
      answer(latest, null);
    }

    private void answer(TopicDescription description, Throwable error) {
      if (answered.compareAndSet(false, true)) {
        ScheduledFuture<?> pending = deadline;
        if (pending != null) {
          pending.cancel(false);
        }
        reply(response).accept(description, error);
      }
    }
  }

  @Override
  public void deleteTopic(DeleteTopicRequest request, StreamObserver<DeleteTopicResponse> response) {
    String problem = Names.topicProblem(request.getName());
    if (problem != null) {
      response.onError(OrdoStatus.exception(ErrorCode.INVALID_TOPIC_NAME, problem));
      return;
    }
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(AdminServiceGrpc.getDeleteTopicMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    metadataLeader.propose(
        MetadataCommand.newBuilder().setDeleteTopic(DeleteTopic.newBuilder().setName(request.getName())).build(),
        response,
        deleted -> reply(response).accept(DeleteTopicResponse.getDefaultInstance(), null));
  }

  @Override
  public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> response) {
    readAtLeader(AdminServiceGrpc.getListTopicsMethod(), request, response, () -> {
      ListTopicsResponse.Builder out = ListTopicsResponse.newBuilder();
      new TreeMap<>(router.view().topics())
          .values()
          .forEach(
              t ->
                  out.addTopics(
                      TopicSummary.newBuilder()
                          .setName(t.getName())
                          .setPartitions(t.getPartitionsCount())
                          .setReplicationFactor(t.getReplicationFactor())));
      reply(response).accept(out.build(), null);
    });
  }

  @Override
  public void describeTopic(DescribeTopicRequest request, StreamObserver<TopicDescription> response) {
    readAtLeader(AdminServiceGrpc.getDescribeTopicMethod(), request, response, () -> router.withTopic(
        request.getName(), topic -> inspector.describe(topic).whenComplete(reply(response)), response::onError));
  }

  @Override
  public void describeCluster(DescribeClusterRequest request, StreamObserver<ClusterDescription> response) {
    inspector.describeCluster(request.getIncludePartitionHealth()).whenComplete(reply(response));
  }

  /**
   * {@code current} with the request's changes; INVALID_CONFIG for a bad one, FEATURE_NOT_ENABLED
   * for compaction settings before every node supports them.
   */
  private TopicConfig topicConfig(TopicConfig current, Map<String, String> set, List<String> reset) {
    TopicConfig config = parseConfig(current, set, reset);
    if (TopicConfigs.usesCompaction(config)) {
      GroupRequests.requireFeature(router.view(), FeatureLevel.COMPACTION, "compacted topics");
    }
    return config;
  }

  /** {@code current} with the request's changes; INVALID_CONFIG for a bad one. */
  private static TopicConfig parseConfig(TopicConfig current, Map<String, String> set, List<String> reset) {
    try {
      return TopicConfigs.apply(current, set, reset);
    } catch (TopicConfigs.InvalidConfigException e) {
      throw OrdoStatus.exception(ErrorCode.INVALID_CONFIG, e.getMessage());
    }
  }

  private static void validate(CreateTopicRequest request) {
    String problem = Names.topicProblem(request.getName());
    if (problem != null) {
      throw OrdoStatus.exception(ErrorCode.INVALID_TOPIC_NAME, problem);
    }
    if (request.getPartitions() < 1 || request.getPartitions() > Limits.MAX_PARTITIONS) {
      throw OrdoStatus.exception(
          ErrorCode.INVALID_PARTITION_COUNT,
          "partitions must be between 1 and " + Limits.MAX_PARTITIONS + ", not " + request.getPartitions());
    }
    if (request.getReplicationFactor() < 1 || request.getReplicationFactor() > Limits.MAX_REPLICATION_FACTOR) {
      throw OrdoStatus.exception(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          "replication factor must be between 1 and " + Limits.MAX_REPLICATION_FACTOR + ", not "
              + request.getReplicationFactor());
    }
    parseConfig(TopicConfig.getDefaultInstance(), request.getConfigMap(), List.of());
  }

  /**
   * A read answered by the metadata leader, so it reflects every acknowledged change; answered by
   * {@code local} (this node's own view, in the call's context) when this node leads, when no
   * leader is known, or when the one this node believes in does not answer (it may have just died).
   */
  private <Q, R> void readAtLeader(MethodDescriptor<Q, R> method, Q request, StreamObserver<R> response, Runnable local) {
    Optional<NodeInfo> leader = metadataLeader.isHere() ? Optional.empty() : router.remoteMetadataLeader();
    if (leader.isEmpty()) {
      local.run();
      return;
    }
    Context call = Context.current();
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(CallerDeadline.cap(READ_DEADLINE_MS), TimeUnit.MILLISECONDS);
    ClientCalls.asyncUnaryCall(peers.to(leader.get().getClientAddress()).newCall(method, options), request,
        new StreamObserver<R>() {
          private R answer;

          @Override
          public void onNext(R value) {
            answer = value;
          }

          @Override
          public void onError(Throwable error) {
            if (error instanceof StatusRuntimeException e && OrdoStatus.detailOf(e).isPresent()) {
              response.onError(e); // the leader's own answer
            } else {
              call.run(local);
            }
          }

          @Override
          public void onCompleted() {
            reply(response).accept(answer, null);
          }
        });
  }

  /** Completes {@code response} with a value, or with an error as a status. */
  static <T> BiConsumer<T, Throwable> reply(StreamObserver<T> response) {
    return (value, error) -> {
      if (error == null) {
        response.onNext(value);
        response.onCompleted();
        return;
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      response.onError(cause instanceof StatusRuntimeException e
          ? e
          : OrdoStatus.exception(ErrorCode.INTERNAL_ERROR, "internal error: " + cause));
    };
  }
}
