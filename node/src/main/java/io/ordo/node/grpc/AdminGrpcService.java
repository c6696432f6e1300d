package io.ordo.node.grpc;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.ordo.node.routing.CallerDeadline;
import io.ordo.node.routing.ClusterInspector;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.CreateTopic;
import io.ordo.proto.raft.v1.DeleteTopic;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.ClusterDescription;
import io.ordo.proto.v1.CreateTopicRequest;
import io.ordo.proto.v1.DeleteTopicRequest;
import io.ordo.proto.v1.DeleteTopicResponse;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.DescribeTopicRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ListTopicsRequest;
import io.ordo.proto.v1.ListTopicsResponse;
import io.ordo.proto.v1.TopicDescription;
import io.ordo.proto.v1.TopicSummary;
import io.ordo.protocol.Limits;
import io.ordo.protocol.OrdoStatus;
import io.ordo.protocol.Names;
import io.ordo.raft.metadata.MetadataReplica;
import io.ordo.raft.metadata.MetadataResult;
import io.ordo.raft.metadata.Placement;
import io.ordo.raft.replica.ReplicaError;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * AdminService. Calls go to the metadata leader (proposed there, or passed on to it), so a client
 * reads its own writes whichever node it asks. Reads fall back to this node's own, possibly stale,
 * view while the metadata group has no leader.
 */
public final class AdminGrpcService extends AdminServiceGrpc.AdminServiceImplBase {
  /** How long CreateTopic waits for every new partition to elect a leader before answering. */
  private static final long LEADERS_WAIT_MS = 15_000;
  private static final long FORWARD_DEADLINE_MS = 30_000;
  /**
   * A metadata leader that cannot answer a read this fast is likely gone or cut off: this node's
   * own view answers instead, within the caller's deadline. A leader's answer includes probing
   * every node (ClusterInspector), whose wait is cut to fit inside this one.
   */
  private static final long READ_DEADLINE_MS = 1_500;

  private final Router router;
  private final ClusterInspector inspector;
  private final PeerChannels peers;

  public AdminGrpcService(Router router, ClusterInspector inspector, PeerChannels peers) {
    this.router = router;
    this.inspector = inspector;
    this.peers = peers;
  }

  @Override
  public void createTopic(CreateTopicRequest request, StreamObserver<TopicDescription> response) {
    answer(response, () -> {
      validate(request);
      Optional<AdminServiceGrpc.AdminServiceBlockingStub> leader = forwardTarget();
      if (leader.isPresent()) {
        return leader.get().createTopic(request);
      }
      List<Integer> live = liveNodeIds();
      if (request.getReplicationFactor() > live.size()) {
        throw OrdoStatus.exception(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            "replication factor " + request.getReplicationFactor() + " is more than the " + live.size()
                + " live nodes " + live + "; use at most " + live.size());
      }
      MetadataCommand command =
          MetadataCommand.newBuilder()
              .setCreateTopic(
                  CreateTopic.newBuilder()
                      .setName(request.getName())
                      .setReplicationFactor(request.getReplicationFactor())
                      .addAllPartitions(
                          Placement.assign(
                              live,
                              router.view().topics().values(),
                              request.getPartitions(),
                              request.getReplicationFactor())))
              .build();
      TopicRecord topic = propose(command).topic();
      return awaitLeaders(topic);
    });
  }

  @Override
  public void deleteTopic(DeleteTopicRequest request, StreamObserver<DeleteTopicResponse> response) {
    answer(response, () -> {
      String problem = Names.topicProblem(request.getName());
      if (problem != null) {
        throw OrdoStatus.exception(ErrorCode.INVALID_TOPIC_NAME, problem);
      }
      Optional<AdminServiceGrpc.AdminServiceBlockingStub> leader = forwardTarget();
      if (leader.isPresent()) {
        return leader.get().deleteTopic(request);
      }
      propose(MetadataCommand.newBuilder().setDeleteTopic(DeleteTopic.newBuilder().setName(request.getName())).build());
      return DeleteTopicResponse.getDefaultInstance();
    });
  }

  @Override
  public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> response) {
    answer(response, () -> readAtLeader(stub -> stub.listTopics(request), () -> {
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
      return out.build();
    }));
  }

  @Override
  public void describeTopic(DescribeTopicRequest request, StreamObserver<TopicDescription> response) {
    answer(response, () -> readAtLeader(
        stub -> stub.describeTopic(request), () -> inspector.describe(router.topic(request.getName()))));
  }

  @Override
  public void describeCluster(DescribeClusterRequest request, StreamObserver<ClusterDescription> response) {
    answer(response, inspector::describeCluster);
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
  }

  /** A stub to the metadata leader when that is another node; empty when this node leads. */
  private Optional<AdminServiceGrpc.AdminServiceBlockingStub> forwardTarget() {
    MetadataReplica metadata = router.metadata();
    if (metadata.isLeader()) {
      return Optional.empty();
    }
    Optional<NodeInfo> leader = router.remoteMetadataLeader();
    if (leader.isEmpty()) {
      throw OrdoStatus.exception(
          ErrorCode.LEADER_NOT_AVAILABLE, "the metadata group has no leader right now (no quorum?); retry shortly");
    }
    return Optional.of(stubTo(leader.get(), FORWARD_DEADLINE_MS));
  }

  /**
   * A read answered by the metadata leader, so it reflects every acknowledged change; answered from
   * this node's own view when this node leads, when no leader is known, or when the one this node
   * believes in does not answer (it may have just died).
   */
  private <T> T readAtLeader(Function<AdminServiceGrpc.AdminServiceBlockingStub, T> remote, Supplier<T> local) {
    Optional<NodeInfo> leader = router.metadata().isLeader() ? Optional.empty() : router.remoteMetadataLeader();
    if (leader.isEmpty()) {
      return local.get();
    }
    try {
      return remote.apply(stubTo(leader.get(), CallerDeadline.cap(READ_DEADLINE_MS)));
    } catch (StatusRuntimeException e) {
      if (OrdoStatus.detailOf(e).isPresent()) {
        throw e;
      }
      return local.get();
    }
  }

  private AdminServiceGrpc.AdminServiceBlockingStub stubTo(NodeInfo node, long deadlineMs) {
    return AdminServiceGrpc.newBlockingStub(peers.to(node.getClientAddress()))
        .withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
  }

  /** Node ids the metadata leader heard from within an election timeout, itself included. */
  private List<Integer> liveNodeIds() {
    TreeSet<Integer> ids = new TreeSet<>();
    for (String address : router.metadata().alivePeerRaftAddresses()) {
      router.view().nodeByRaftAddress(address).ifPresent(n -> ids.add(n.getNodeId()));
    }
    ids.add(router.nodeId());
    return List.copyOf(ids);
  }

  private MetadataResult propose(MetadataCommand command) {
    CompletableFuture<MetadataResult> done = new CompletableFuture<>();
    router.metadata().propose(command, new MetadataReplica.Callback() {
      @Override
      public void onApplied(MetadataResult result) {
        done.complete(result);
      }

      @Override
      public void onFailed(ReplicaError error) {
        done.completeExceptionally(router.toStatus(error));
      }
    });
    MetadataResult result;
    try {
      result = done.get(FORWARD_DEADLINE_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw (StatusRuntimeException) e.getCause();
    } catch (TimeoutException e) {
      throw OrdoStatus.exception(ErrorCode.OUTCOME_UNKNOWN, "the metadata change was not confirmed in time");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw OrdoStatus.exception(ErrorCode.OUTCOME_UNKNOWN, "interrupted while waiting for the metadata change");
    }
    if (!result.isOk()) {
      throw OrdoStatus.exception(result.error(), result.message());
    }
    return result;
  }

  /**
   * The topic's description once every partition has a leader, or as it is when the wait ends: the
   * topic exists either way, so the wait must leave the caller time to hear that before its own
   * deadline.
   */
  private TopicDescription awaitLeaders(TopicRecord topic) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CallerDeadline.cap(LEADERS_WAIT_MS));
    while (true) {
      TopicDescription description = inspector.describe(topic);
      boolean allLed = description.getPartitionsList().stream().allMatch(p -> p.getLeader() != 0);
      if (allLed || System.nanoTime() > deadline) {
        return description;
      }
      Thread.sleep(100);
    }
  }

  /** Runs {@code body} and completes {@code response} with its result or its error, once. */
  private static <T> void answer(StreamObserver<T> response, Body<T> body) {
    T result;
    try {
      result = body.run();
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      response.onError(io.grpc.Status.CANCELLED.withDescription("node is shutting down").asRuntimeException());
      return;
    } catch (RuntimeException e) {
      response.onError(OrdoStatus.exception(ErrorCode.INTERNAL_ERROR, "internal error: " + e));
      return;
    }
    response.onNext(result);
    response.onCompleted();
  }

  private interface Body<T> {
    T run() throws InterruptedException;
  }
}
