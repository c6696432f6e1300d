package io.ordo.node.membership;

import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.error.RaftError;
import io.grpc.StatusRuntimeException;
import io.ordo.node.routing.ClusterInspector;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.CompleteReassignment;
import io.ordo.proto.raft.v1.DeregisterNode;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.ReassignPartitions;
import io.ordo.proto.raft.v1.SetClusterId;
import io.ordo.proto.raft.v1.SetNodeRacks;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ChangeReplicasRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.NodeServiceGrpc;
import io.ordo.proto.v1.PartitionDescription;
import io.ordo.proto.v1.TopicDescription;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.Evacuation;
import io.ordo.raft.metadata.FeatureLevel;
import io.ordo.raft.metadata.MetadataView;
import io.ordo.raft.metadata.Rebalance;
import io.ordo.raft.multiraft.ReplicaManager;
import io.ordo.raft.partition.PartitionId;
import io.ordo.raft.partition.PartitionReplica;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster membership changes, on the metadata leader, as Kafka's controller makes them.
 *
 * <p>Moves partitions to their target replicas: asks a partition's leader to change its Raft
 * group's members to them (NodeService/ChangeReplicas; jraft lets new members catch up first, then
 * changes in one joint-consensus step), and once that is committed records the move with
 * CompleteReassignment. A move that fails (the leader changed, a new replica did not catch up in
 * time) is tried again on a later tick; asking a group for the members it has is answered at once,
 * so a leader that changed the members but died before saying so costs nothing.
 *
 * <p>Takes leaving (decommissioning) nodes out: hands a leaving node's vote in the metadata group
 * to a live node that joined later (the leaving one stays a learner until it is gone), moves its
 * partitions to the other live nodes (Evacuation), then deregisters it and stops replicating the
 * metadata to it. Each step is decided again from the metadata on every tick, so a new metadata
 * leader carries on where the last one stopped.
 *
 * <p>Evens out the nodes' replica counts (after a node joined) one move at a time, while every
 * registered node is live, none is leaving and nothing else moves ({@link Rebalance}).
 */
public final class MembershipDriver {
  private static final Logger LOG = LoggerFactory.getLogger(MembershipDriver.class);
  /** Partitions moving at once: each new replica copies its partition from the leader. */
  static final int MAX_CONCURRENT_MOVES = 8;
  /**
   * How long one attempt at a move may take (asking the leader, its change, recording it). A new
   * replica of a large partition catches up for minutes, but asking again is harmless: while the
   * change is under way the leader answers busy, once it is done at once. A longer wait only held
   * a move back when an answer was lost.
   */
  private static final long MOVE_ATTEMPT_DEADLINE_MS = 30_000;
  /**
   * How long one step of taking a node out may take (a change of the metadata group's members, or
   * a metadata command): the metadata is small, so a step not done by then was lost (an answer
   * that never came) and is simply tried again, instead of holding every later step back.
   */
  private static final long LEAVING_STEP_DEADLINE_MS = 60_000;

  private final Router router;
  private final ClusterInspector inspector;
  private final PeerChannels peers;
  private final Set<PartitionId> moving = ConcurrentHashMap.newKeySet();
  /** Set while a change to the metadata group's members or a metadata command for a leaving node is under way. */
  private final AtomicBoolean evacuating = new AtomicBoolean();
  /** Set while the cluster's id is being proposed. */
  private final AtomicBoolean naming = new AtomicBoolean();
  /** Whether a look at the nodes' racks is under way: one at a time. */
  private final AtomicBoolean learningRacks = new AtomicBoolean();
  /** Set while a rebalancing move is being proposed. */
  private final AtomicBoolean rebalancing = new AtomicBoolean();
  private final int rebalanceThreshold;

  /** @param rebalanceThreshold see {@link Rebalance#next}; 0: never rebalance */
  public MembershipDriver(Router router, ClusterInspector inspector, PeerChannels peers, int rebalanceThreshold) {
    this.router = router;
    this.inspector = inspector;
    this.peers = peers;
    this.rebalanceThreshold = rebalanceThreshold;
  }

  /** Takes the next steps, if this node leads the metadata group; returns at once. */
  public void tick() {
    if (!router.metadata().isLeader()) {
      return;
    }
    step("naming the cluster", this::nameCluster);
    step("taking leaving nodes out", this::takeLeavingNodesOut);
    step("moving partitions", this::startMoves);
    step("rebalancing", this::rebalance);
  }

  /** Runs one step of a tick: one that fails holds none of the others back. */
  private static void step(String what, Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      LOG.error("{} failed; trying again on the next tick", what, e);
    }
  }

  /** Proposes the next move that evens out the nodes' replica counts, if one is due. */
  private void rebalance() {
    MetadataView view = router.view();
    List<Integer> live = router.liveNodeIds();
    // A node that is down or leaving would skew the counts, and a move onto a dead node cannot finish.
    if (rebalanceThreshold < 1 || !moving.isEmpty() || live.size() != view.state().getNodesCount()
        || !rebalancing.compareAndSet(false, true)) {
      return;
    }
    Optional<Rebalance.Move> move = Rebalance.next(view.topics().values(), live, view.racks(), rebalanceThreshold);
    if (move.isEmpty()) {
      rebalancing.set(false);
      return;
    }
    Rebalance.Move m = move.get();
    propose(
        MetadataCommand.newBuilder()
            .setReassignPartitions(ReassignPartitions.newBuilder().setTopicId(m.topicId()).addPartitions(m.target()))
            .build(),
        "rebalancing: partition " + m.target().getPartition() + " of topic id " + m.topicId() + " moves a replica from node "
            + m.from() + " to node " + m.to() + " (replicas " + m.target().getTargetReplicasList() + ")")
        .whenComplete((done, failure) -> rebalancing.set(false));
  }

  /** Gives the cluster its id, once: nodes keep it in their data directories (StorageIdentity). */
  private void nameCluster() {
    MetadataView view = router.view();
    if (!view.state().getClusterId().isEmpty() || !view.hasFeature(FeatureLevel.STORAGE_IDENTITY) || !naming.compareAndSet(false, true)) {
      return;
    }
    String id = UUID.randomUUID().toString();
    propose(MetadataCommand.newBuilder().setSetClusterId(SetClusterId.newBuilder().setClusterId(id)).build(), "the cluster's id is " + id)
        .whenComplete((done, failure) -> naming.set(false));
  }

  /**
   * The node without a vote in the metadata group (one that joined later) and not leaving, to take
   * a leaving voter's place there, the lowest id first; empty if there is none. (Not "live" by the
   * metadata leader's reckoning: that counts only members and learners, and the successor is
   * neither for a moment while it changes from one to the other.)
   */
  public static Optional<NodeInfo> successorInMetadataGroup(Router router, int leaving) {
    List<String> voters = router.metadata().memberPeerIds();
    return router.view().state().getNodesList().stream()
        .filter(n -> n.getNodeId() != leaving && !n.getDecommissioning() && !voters.contains(MetadataView.raftPeer(n)))
        .min(Comparator.comparingInt(NodeInfo::getNodeId));
  }

  private void takeLeavingNodesOut() {
    if (!evacuating.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<Void> step = CompletableFuture.completedFuture(null);
    try {
      MetadataView view = router.view();
      List<String> voters = router.metadata().memberPeerIds();
      List<String> learners = router.metadata().learnerPeerIds();
      for (NodeInfo node : view.state().getNodesList()) {
        if (node.getDecommissioning()) {
          step = takeOut(view, node, voters, learners);
          break; // one node at a time
        }
      }
      if (step.isDone()) {
        step = renewIncarnations(view, voters, learners);
      }
    } finally {
      step.orTimeout(LEAVING_STEP_DEADLINE_MS, TimeUnit.MILLISECONDS).whenComplete((done, failure) -> {
        evacuating.set(false);
        if (failure instanceof TimeoutException) {
          // A membership change jraft never finished: what its node says will show why.
          LOG.warn("taking a node out of the cluster: a step took over {} ms; trying again. The metadata group's node:\n{}",
              LEAVING_STEP_DEADLINE_MS, router.metadata().describe());
        } else if (failure != null) {
          LOG.info("taking a node out of the cluster: {}; trying again", rootMessage(failure));
        }
      });
    }
  }

  /** The next step of node {@code leaving} out of the cluster. */
  private CompletableFuture<Void> takeOut(MetadataView view, NodeInfo leaving, List<String> voters, List<String> learners) {
    String leavingPeer = MetadataView.raftPeer(leaving);
    if (voters.contains(leavingPeer)) {
      Optional<NodeInfo> successor = successorInMetadataGroup(router, leaving.getNodeId());
      if (successor.isEmpty()) {
        return CompletableFuture.failedFuture(new IllegalStateException(
            "node " + leaving.getNodeId() + " votes in the metadata group and no node that joined later can take its place"));
      }
      String promoted = MetadataView.raftPeer(successor.get());
      // jraft refuses a change that makes a learner a voter, or a voter a learner: the successor
      // stops being a learner first, and the leaving node becomes one after, each on its own tick.
      if (learners.contains(promoted)) {
        return status(router.metadata().removeLearner(promoted),
            "node " + successor.get().getNodeId() + " is to vote in the metadata group in place of leaving node " + leaving.getNodeId());
      }
      List<String> newVoters = new ArrayList<>(voters);
      newVoters.set(newVoters.indexOf(leavingPeer), promoted);
      return status(router.metadata().changeMembers(newVoters, learners),
          "node " + successor.get().getNodeId() + " votes in the metadata group in place of leaving node " + leaving.getNodeId());
    }
    if (!learners.contains(leavingPeer)) {
      // Until it is gone it learns of the moves, and deletes the replicas moved off it.
      return status(router.metadata().addLearner(leavingPeer),
          "leaving node " + leaving.getNodeId() + " gets the metadata as a learner until it is gone");
    }
    if (ClusterInspector.replicasOn(view, leaving.getNodeId()) == 0) {
      return propose(
          MetadataCommand.newBuilder().setDeregisterNode(DeregisterNode.newBuilder().setNodeId(leaving.getNodeId())).build(),
          "node " + leaving.getNodeId() + " has left the cluster");
    }
    List<Integer> staying = router.liveNodeIds().stream().filter(id -> id != leaving.getNodeId()).toList();
    Evacuation.Plan plan = Evacuation.plan(view.topics().values(), leaving.getNodeId(), staying, view.racks());
    CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
    for (var topic : plan.targets().entrySet()) {
      all = all.thenCompose(done -> propose(
          MetadataCommand.newBuilder()
              .setReassignPartitions(ReassignPartitions.newBuilder().setTopicId(topic.getKey()).addAllPartitions(topic.getValue()))
              .build(),
          topic.getValue().size() + " partition(s) of topic id " + topic.getKey() + " move off leaving node " + leaving.getNodeId()));
    }
    if (!plan.stuck().isEmpty()) {
      LOG.warn("leaving node {} keeps {} until another node can take them", leaving.getNodeId(), plan.stuck());
    }
    return all;
  }

  /**
   * The next step towards a metadata group whose voters and learners are every node's current
   * incarnation: a node that came back with a new data directory has its vote moved to its new
   * incarnation (which, if a learner, stops being one first: jraft will not make a learner a voter
   * in one change), and learners of earlier incarnations or of deregistered nodes are dropped.
   */
  private CompletableFuture<Void> renewIncarnations(MetadataView view, List<String> voters, List<String> learners) {
    for (String voter : voters) {
      Optional<NodeInfo> node = view.nodeAtRaftPeer(voter);
      if (node.isEmpty() || MetadataView.raftPeer(node.get()).equals(voter)) {
        continue;
      }
      String renewed = MetadataView.raftPeer(node.get());
      if (learners.contains(renewed)) {
        return status(router.metadata().removeLearner(renewed), "node " + node.get().getNodeId() + " is to vote in the metadata group as " + renewed);
      }
      List<String> newVoters = new ArrayList<>(voters);
      newVoters.set(newVoters.indexOf(voter), renewed);
      return status(router.metadata().changeMembers(newVoters, learners),
          "node " + node.get().getNodeId() + " votes in the metadata group as " + renewed + ", its new data directory, instead of " + voter);
    }
    for (String learner : learners) {
      if (view.nodeByRaftPeer(learner).isEmpty()) {
        return status(router.metadata().removeLearner(learner), "no longer replicating the metadata to " + learner);
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  private static CompletableFuture<Void> status(CompletableFuture<Status> change, String done) {
    return change.thenAccept(status -> {
      if (!status.isOk()) {
        throw new IllegalStateException(status.toString());
      }
      LOG.info(done);
    });
  }

  /**
   * On the metadata leader: records the racks the nodes report (ordo-node --rack) where the
   * metadata has another, so placement can spread replicas over racks.
   */
  public void learnRacks() {
    if (!router.metadata().isLeader() || !router.view().hasFeature(FeatureLevel.RACKS) || !learningRacks.compareAndSet(false, true)) {
      return;
    }
    inspector.reportedRacks()
        .thenCompose(reported -> {
          Map<Integer, String> known = router.view().racks();
          SetNodeRacks.Builder changed = SetNodeRacks.newBuilder();
          reported.forEach((node, rack) -> {
            if (!rack.equals(known.getOrDefault(node, ""))) {
              changed.putRacks(node, rack);
            }
          });
          return changed.getRacksCount() == 0
              ? CompletableFuture.completedFuture(null)
              : propose(MetadataCommand.newBuilder().setSetNodeRacks(changed).build(), "nodes' racks are " + changed.getRacksMap());
        })
        .whenComplete((done, failure) -> learningRacks.set(false));
  }

  private CompletableFuture<Void> propose(MetadataCommand command, String done) {
    return router.proposeMetadata(command).thenAccept(applied -> LOG.info(done));
  }

  /** Starts moves towards targets. */
  private void startMoves() {
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
      described(topic).whenComplete((description, error) -> {
        for (PartitionPlacement placement : started) {
          PartitionId id = new PartitionId(topic.getTopicId(), placement.getPartition());
          CompletableFuture<Void> move = error != null
              ? CompletableFuture.failedFuture(error)
              : attempt(topic, placement, description);
          move.orTimeout(MOVE_ATTEMPT_DEADLINE_MS, TimeUnit.MILLISECONDS).whenComplete((done, failure) -> {
            moving.remove(id);
            if (failure instanceof TimeoutException) {
              LOG.warn("moving {}/{} to {}: an attempt took over {} ms; trying again", topic.getName(),
                  placement.getPartition(), placement.getTargetReplicasList(), MOVE_ATTEMPT_DEADLINE_MS);
            } else if (failure != null) {
              LOG.info("moving {}/{} to {} not done yet: {}", topic.getName(), placement.getPartition(),
                  placement.getTargetReplicasList(), rootMessage(failure));
            }
          });
        }
      });
    }
  }

  /** The topic as its nodes report it; a failure, thrown or not, frees its moves for the next tick. */
  private CompletableFuture<TopicDescription> described(TopicRecord topic) {
    try {
      return inspector.describe(topic);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** One attempt at the move; its failure, thrown or not, frees the partition for the next. */
  private CompletableFuture<Void> attempt(TopicRecord topic, PartitionPlacement placement, TopicDescription description) {
    try {
      return move(topic, placement, description);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletableFuture<Void> move(TopicRecord topic, PartitionPlacement placement, TopicDescription description) {
    PartitionDescription reported = description.getPartitions(placement.getPartition());
    if (reported.getLeader() == 0) {
      return CompletableFuture.failedFuture(new IllegalStateException("the partition has no leader right now"));
    }
    List<String> peers = ReplicaManager.raftPeers(router.view(), placement.getTargetReplicasList());
    if (peers.size() != placement.getTargetReplicasCount()) {
      return CompletableFuture.failedFuture(new IllegalStateException("a target replica's node is not registered"));
    }
    ChangeReplicasRequest request = ChangeReplicasRequest.newBuilder()
        .setTopicId(topic.getTopicId())
        .setPartition(placement.getPartition())
        .addAllReplicas(placement.getTargetReplicasList())
        .addAllRaftPeers(peers)
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
        .withDeadlineAfter(MOVE_ATTEMPT_DEADLINE_MS, TimeUnit.MILLISECONDS)
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
    return propose(
        MetadataCommand.newBuilder()
            .setCompleteReassignment(CompleteReassignment.newBuilder()
                .setTopicId(changed.getTopicId())
                .setPartition(changed.getPartition())
                .addAllReplicas(changed.getReplicasList()))
            .build(),
        "moved partition " + changed.getPartition() + " of topic id " + changed.getTopicId() + " to replicas " + changed.getReplicasList());
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
      // The metadata leader's peer ids: this node's copy of the metadata may not have a node's new incarnation yet.
      List<String> members = request.getRaftPeersCount() > 0
          ? request.getRaftPeersList()
          : ReplicaManager.raftPeers(router.view(), request.getReplicasList());
      if (members.size() != request.getReplicasCount()) {
        throw OrdoStatus.exception(ErrorCode.INVALID_REQUEST, "replicas " + request.getReplicasList() + " name unregistered nodes");
      }
      return replica.changeMembers(members).thenAccept(status -> {
        if (!status.isOk()) {
          throw OrdoStatus.exception(
              // EPERM: this replica no longer leads; otherwise busy with another change, or new members fell behind.
              status.getRaftError() == RaftError.EPERM ? ErrorCode.NOT_LEADER : ErrorCode.INTERNAL_ERROR,
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
