package io.ordo.node.membership;

import io.grpc.StatusRuntimeException;
import io.ordo.node.routing.ClusterInspector;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.CompleteReassignment;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ChangeReplicasRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.NodeServiceGrpc;
import io.ordo.proto.v1.PartitionDescription;
import io.ordo.proto.v1.TopicDescription;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.MetadataReplica;
import io.ordo.raft.metadata.MetadataResult;
import io.ordo.raft.multiraft.ReplicaManager;
import io.ordo.raft.partition.PartitionId;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.replica.ReplicaError;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves partitions to their target replicas, on the metadata leader, as Kafka's controller does:
 * for a partition with target replicas it asks the partition's leader to change its Raft group's
 * members to them (NodeService/ChangeReplicas; jraft lets new members catch up first, then
 * changes in one joint-consensus step), and once that is committed records the move with
 * CompleteReassignment. A move that fails (the leader changed, a new replica did not catch up in
 * time) is tried again on a later tick; asking a group for the members it has is answered at once,
 * so a leader that changed the members but died before saying so costs nothing.
 */
public final class ReassignmentDriver {
  private static final Logger LOG = LoggerFactory.getLogger(ReassignmentDriver.class);
  /** Partitions moving at once: each new replica copies its partition from the leader. */
  static final int MAX_CONCURRENT_MOVES = 8;
  /**
   * How long one change may take: jraft waits while a new replica still catches up, which for a
   * large partition is minutes; a change cut off here is simply asked for again.
   */
  private static final long CHANGE_DEADLINE_MS = 600_000;

  private final Router router;
  private final ClusterInspector inspector;
  private final PeerChannels peers;
  private final Set<PartitionId> moving = ConcurrentHashMap.newKeySet();

  public ReassignmentDriver(Router router, ClusterInspector inspector, PeerChannels peers) {
    this.router = router;
    this.inspector = inspector;
    this.peers = peers;
  }

  /** Starts moves towards targets, if this node leads the metadata group; returns at once. */
  public void tick() {
    if (!router.metadata().isLeader()) {
      return;
    }
    for (TopicRecord topic : router.view().topics().values()) {
      List<PartitionPlacement> due = topic.getPartitionsList().stream()
          .filter(p -> p.getTargetReplicasCount() > 0)
          .filter(p -> !moving.contains(new PartitionId(topic.getTopicId(), p.getPartition())))
          .toList();
      if (due.isEmpty()) {
        continue;
      }
      List<PartitionPlacement> started = due.stream()
          .filter(p -> moving.size() < MAX_CONCURRENT_MOVES && moving.add(new PartitionId(topic.getTopicId(), p.getPartition())))
          .toList();
      if (started.isEmpty()) {
        return;
      }
      inspector.describe(topic).whenComplete((description, error) -> {
        for (PartitionPlacement placement : started) {
          PartitionId id = new PartitionId(topic.getTopicId(), placement.getPartition());
          CompletableFuture<Void> move = error != null
              ? CompletableFuture.failedFuture(error)
              : move(topic, placement, description);
          move.whenComplete((done, failure) -> {
            moving.remove(id);
            if (failure != null) {
              LOG.info("moving {}/{} to {} not done yet: {}", topic.getName(), placement.getPartition(),
                  placement.getTargetReplicasList(), rootMessage(failure));
            }
          });
        }
      });
    }
  }

  private CompletableFuture<Void> move(TopicRecord topic, PartitionPlacement placement, TopicDescription description) {
    PartitionDescription reported = description.getPartitions(placement.getPartition());
    if (reported.getLeader() == 0) {
      return CompletableFuture.failedFuture(new IllegalStateException("the partition has no leader right now"));
    }
    ChangeReplicasRequest request = ChangeReplicasRequest.newBuilder()
        .setTopicId(topic.getTopicId())
        .setPartition(placement.getPartition())
        .addAllReplicas(placement.getTargetReplicasList())
        .build();
    return changeAt(reported.getLeader(), request).thenCompose(changed -> complete(request));
  }

  private CompletableFuture<Void> changeAt(int leader, ChangeReplicasRequest request) {
    if (leader == router.nodeId()) {
      return changeHere(request);
    }
    Optional<NodeInfo> node = router.view().node(leader);
    if (node.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalStateException("node " + leader + " is not registered"));
    }
    var call = NodeServiceGrpc.newFutureStub(peers.to(node.get().getClientAddress()))
        .withDeadlineAfter(CHANGE_DEADLINE_MS, TimeUnit.MILLISECONDS)
        .changeReplicas(request);
    CompletableFuture<Void> answered = new CompletableFuture<>();
    call.addListener(() -> {
      try {
        call.get();
        answered.complete(null);
      } catch (Exception e) {
        answered.completeExceptionally(e);
      }
    }, Runnable::run);
    return answered;
  }

  private CompletableFuture<Void> complete(ChangeReplicasRequest changed) {
    CompletableFuture<Void> recorded = new CompletableFuture<>();
    MetadataCommand command = MetadataCommand.newBuilder()
        .setCompleteReassignment(CompleteReassignment.newBuilder()
            .setTopicId(changed.getTopicId())
            .setPartition(changed.getPartition())
            .addAllReplicas(changed.getReplicasList()))
        .build();
    router.metadata().propose(command, new MetadataReplica.Callback() {
      @Override
      public void onApplied(MetadataResult result) {
        if (result.isOk()) {
          LOG.info("moved {}/{} to replicas {}", result.topic().getName(), changed.getPartition(), changed.getReplicasList());
          recorded.complete(null);
        } else {
          recorded.completeExceptionally(new IllegalStateException(result.message()));
        }
      }

      @Override
      public void onFailed(ReplicaError error) {
        recorded.completeExceptionally(new IllegalStateException(error.message()));
      }
    });
    return recorded;
  }

  /**
   * Has this node's replica of the partition, which must lead it, change its group's members to
   * the request's replicas; completes once committed, or with the error as a gRPC status.
   */
  public CompletableFuture<Void> changeHere(ChangeReplicasRequest request) {
    try {
      TopicRecord topic = router.view().topics().values().stream()
          .filter(t -> t.getTopicId() == request.getTopicId())
          .findFirst()
          .orElseThrow(() -> OrdoStatus.exception(ErrorCode.UNKNOWN_TOPIC, "topic id " + request.getTopicId() + " does not exist"));
      PartitionReplica replica = router.leader(topic, request.getPartition());
      List<String> members = ReplicaManager.raftAddresses(router.view(), request.getReplicasList());
      if (members.size() != request.getReplicasCount()) {
        throw OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "replicas " + request.getReplicasList() + " name unregistered nodes");
      }
      return replica.changeMembers(members).thenAccept(status -> {
        if (!status.isOk()) {
          throw OrdoStatus.exception(
              ErrorCode.INTERNAL_ERROR,
              "changing the members of " + topic.getName() + "/" + request.getPartition() + " to " + request.getReplicasList()
                  + " failed: " + status);
        }
      });
    } catch (StatusRuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static String rootMessage(Throwable failure) {
    Throwable cause = failure;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause.getMessage();
  }
}
