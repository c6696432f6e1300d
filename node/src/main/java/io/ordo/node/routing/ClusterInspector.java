package io.ordo.node.routing;

import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ClusterDescription;
import io.ordo.proto.v1.FailedReplica;
import io.ordo.proto.v1.LocalReplicasRequest;
import io.ordo.node.membership.StorageIdentity;
import io.ordo.proto.v1.LocalReplicasResponse;
import io.ordo.proto.v1.StorageState;
import io.ordo.proto.v1.NodeDescription;
import io.ordo.proto.v1.NodeServiceGrpc;
import io.ordo.proto.v1.PartitionDescription;
import io.ordo.proto.v1.PartitionHealth;
import io.ordo.proto.v1.ReplicaStatus;
import io.ordo.proto.v1.TopicDescription;
import io.ordo.proto.v1.UnhealthyPartition;
import io.ordo.raft.metadata.TopicConfigs;
import io.ordo.raft.metadata.FeatureLevel;
import io.ordo.raft.metadata.MetadataView;
import io.ordo.raft.partition.PartitionReplica;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Builds cluster-wide descriptions by asking every node what its replicas know (NodeService/
 * LocalReplicas), in parallel with a short deadline, cut shorter by the caller's own (see {@link
 * CallerDeadline}). A node that does not answer in time counts as not alive.
 */
public final class ClusterInspector {
  private static final long PROBE_DEADLINE_MS = 1_500;

  private final Router router;
  private final PeerChannels peers;
  private final StorageIdentity identity;
  private final String rack;

  /** @param rack where this node runs (ordo-node --rack); empty if not given */
  public ClusterInspector(Router router, PeerChannels peers, StorageIdentity identity, String rack) {
    this.router = router;
    this.peers = peers;
    this.identity = identity;
    this.rack = rack;
  }

  /** What this node's replicas know, for {@code topicId} (0: all, negative: none). */
  public LocalReplicasResponse localReplicas(long topicId) {
    LocalReplicasResponse.Builder out =
        LocalReplicasResponse.newBuilder()
            .setNodeId(router.nodeId())
            .setSupportedFeatureLevel(FeatureLevel.SUPPORTED)
            .setClusterId(identity.clusterId())
            .setStorageState(storageState())
            .setRack(rack);
    router.metadata().failure().ifPresent(out::setMetadataFailure);
    if (topicId < 0) {
      return out.build();
    }
    MetadataView view = router.view();
    for (PartitionReplica r : router.replicas().replicas()) {
      if (topicId != 0 && r.id().topicId() != topicId) {
        continue;
      }
      ReplicaStatus.Builder status =
          ReplicaStatus.newBuilder()
              .setTopicId(r.id().topicId())
              .setPartition(r.id().partition())
              .setLeader(r.isLeader())
              .setTerm(Math.max(0, r.leaderTerm()))
              .setStartOffset(r.startOffset())
              .setEndOffset(r.endOffset());
      r.failure().ifPresent(status::setFailure);
      view.nodeByRaftAddress(r.leaderRaftAddress()).ifPresent(n -> status.setLeaderNodeId(n.getNodeId()));
      for (String peer : r.alivePeerIds()) {
        view.nodeByRaftPeer(peer).ifPresent(n -> status.addAlivePeers(n.getNodeId()));
      }
      out.addReplicas(status);
    }
    return out.build();
  }

  private StorageState storageState() {
    if (!identity.started()) {
      return StorageState.STORAGE_EMPTY;
    }
    boolean ran = !identity.clusterId().isEmpty() || router.view().state().getNodesCount() > 0;
    return ran ? StorageState.STORAGE_IN_CLUSTER : StorageState.STORAGE_FORMING;
  }

  /**
   * Every registered node's answer, by node id, once all answered or their deadline passed; nodes
   * that did not answer are absent. The deadline is taken from the calling thread's gRPC context.
   */
  private CompletableFuture<Map<Integer, LocalReplicasResponse>> probeAll(long topicId) {
    long deadlineMs = CallerDeadline.cap(PROBE_DEADLINE_MS);
    Map<Integer, CompletableFuture<LocalReplicasResponse>> calls = new HashMap<>();
    for (NodeInfo node : router.view().state().getNodesList()) {
      if (node.getNodeId() == router.nodeId()) {
        calls.put(node.getNodeId(), CompletableFuture.completedFuture(localReplicas(topicId)));
        continue;
      }
      NodeServiceGrpc.NodeServiceFutureStub stub =
          NodeServiceGrpc.newFutureStub(peers.to(node.getClientAddress()))
              .withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
      var call = stub.localReplicas(LocalReplicasRequest.newBuilder().setTopicId(topicId).build());
      CompletableFuture<LocalReplicasResponse> answer = new CompletableFuture<>();
      call.addListener(
          () -> {
            try {
              answer.complete(call.get());
            } catch (Exception notAlive) {
              answer.complete(null);
            }
          },
          Runnable::run);
      calls.put(node.getNodeId(), answer);
    }
    return CompletableFuture.allOf(calls.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
      Map<Integer, LocalReplicasResponse> answers = new HashMap<>();
      calls.forEach((nodeId, call) -> {
        LocalReplicasResponse answer = call.join();
        if (answer != null) {
          answers.put(nodeId, answer);
        }
      });
      return answers;
    });
  }

  /**
   * The highest feature level every registered node supports, or empty if a node did not answer
   * (it may run an older version: a level is finalized only when every node has it).
   */
  public CompletableFuture<OptionalInt> featureLevelOfEveryNode() {
    return probeAll(-1).thenApply(answers -> answers.size() < router.view().state().getNodesCount()
        ? OptionalInt.empty()
        : answers.values().stream().mapToInt(LocalReplicasResponse::getSupportedFeatureLevel).min());
  }

  /** The rack each node that answered runs on, by node id (empty for none). */
  public CompletableFuture<Map<Integer, String>> reportedRacks() {
    return probeAll(-1).thenApply(answers -> {
      Map<Integer, String> racks = new HashMap<>();
      answers.forEach((node, answer) -> racks.put(node, answer.getRack()));
      return racks;
    });
  }

  /** The topic with, per partition, its leader and offsets as the nodes that answered report them. */
  public CompletableFuture<TopicDescription> describe(TopicRecord topic) {
    return probeAll(topic.getTopicId()).thenApply(answers -> describe(topic, answers));
  }

  /** The topic as placed, with no partition's leader or offsets known. */
  public static TopicDescription withoutReports(TopicRecord topic) {
    return describe(topic, Map.of());
  }

  private static TopicDescription describe(TopicRecord topic, Map<Integer, LocalReplicasResponse> answers) {
    Map<Integer, List<Reported>> byPartition = new HashMap<>();
    answers.forEach(
        (nodeId, answer) ->
            answer.getReplicasList().stream()
                .filter(s -> s.getTopicId() == topic.getTopicId())
                .forEach(s -> byPartition.computeIfAbsent(s.getPartition(), p -> new ArrayList<>()).add(new Reported(nodeId, s))));
    TopicDescription.Builder out =
        TopicDescription.newBuilder()
            .setName(topic.getName())
            .setTopicId(topic.getTopicId())
            .setReplicationFactor(topic.getReplicationFactor())
            .putAllConfig(TopicConfigs.describe(topic.getConfig()));
    for (PartitionPlacement placement : topic.getPartitionsList()) {
      PartitionDescription.Builder p =
          PartitionDescription.newBuilder()
              .setPartition(placement.getPartition())
              .addAllReplicas(placement.getReplicasList())
              .addAllTargetReplicas(placement.getTargetReplicasList());
      Reported leaderReport = null;
      long end = 0;
      long start = 0;
      for (Reported r : byPartition.getOrDefault(placement.getPartition(), List.of())) {
        if (!r.status.getFailure().isEmpty()) {
          p.addFailedReplicas(FailedReplica.newBuilder().setNodeId(r.nodeId).setError(r.status.getFailure()));
          continue; // what it reports stopped with it
        }
        end = Math.max(end, r.status.getEndOffset());
        start = Math.max(start, r.status.getStartOffset());
        if (r.status.getLeader() && (leaderReport == null || r.status.getTerm() > leaderReport.status.getTerm())) {
          leaderReport = r;
        }
      }
      if (leaderReport != null) {
        ReplicaStatus leader = leaderReport.status;
        p.setLeader(leaderReport.nodeId)
            .setLeaderTerm(leader.getTerm())
            .addAllInSyncReplicas(leader.getAlivePeersList())
            .setStartOffset(leader.getStartOffset())
            .setEndOffset(leader.getEndOffset());
      } else {
        p.setStartOffset(start).setEndOffset(end);
      }
      out.addPartitions(p);
    }
    return out.build();
  }

  private record Reported(int nodeId, ReplicaStatus status) {}

  /** Partitions placed on node {@code nodeId} or moving to it. */
  public static int replicasOn(MetadataView view, int nodeId) {
    int count = 0;
    for (TopicRecord topic : view.topics().values()) {
      for (PartitionPlacement p : topic.getPartitionsList()) {
        if (p.getReplicasList().contains(nodeId) || p.getTargetReplicasList().contains(nodeId)) {
          count++;
        }
      }
    }
    return count;
  }

  /**
   * The registered nodes, alive if they answered a probe, and the metadata leader; with {@code
   * partitionHealth}, also every topic's partitions counted and the leaderless and
   * under-replicated ones described (the probes then carry every replica's state).
   */
  public CompletableFuture<ClusterDescription> describeCluster(boolean partitionHealth) {
    return probeAll(partitionHealth ? 0 : -1).thenApply(answers -> {
      ClusterDescription.Builder out = describeCluster(answers);
      if (partitionHealth) {
        out.setPartitionHealth(partitionHealth(answers));
      }
      return out.build();
    });
  }

  private PartitionHealth partitionHealth(Map<Integer, LocalReplicasResponse> answers) {
    PartitionHealth.Builder health = PartitionHealth.newBuilder();
    List<UnhealthyPartition> underReplicated = new ArrayList<>();
    for (TopicRecord topic : new TreeMap<>(router.view().topics()).values()) {
      for (PartitionDescription p : describe(topic, answers).getPartitionsList()) {
        health.setPartitions(health.getPartitions() + 1);
        UnhealthyPartition unhealthy = UnhealthyPartition.newBuilder().setTopic(topic.getName()).setPartition(p).build();
        if (p.getLeader() == 0) {
          health.addUnhealthy(unhealthy);
        } else if (p.getInSyncReplicasCount() < p.getReplicasCount() || p.getFailedReplicasCount() > 0) {
          underReplicated.add(unhealthy);
        }
      }
    }
    return health.addAllUnhealthy(underReplicated).build();
  }

  private ClusterDescription.Builder describeCluster(Map<Integer, LocalReplicasResponse> answers) {
    ClusterDescription.Builder out = ClusterDescription.newBuilder();
    MetadataView view = router.view();
    for (NodeInfo node : view.state().getNodesList()) {
      // A node that did not answer reports nothing: the defaults (level 0, no failure).
      LocalReplicasResponse answer = answers.getOrDefault(node.getNodeId(), LocalReplicasResponse.getDefaultInstance());
      out.addNodes(
          NodeDescription.newBuilder()
              .setNodeId(node.getNodeId())
              .setClientAddress(node.getClientAddress())
              .setRaftAddress(node.getRaftAddress())
              .setIncarnation(node.getIncarnation())
              .setRack(node.getRack())
              .setAlive(answers.containsKey(node.getNodeId()))
              .setSupportedFeatureLevel(answer.getSupportedFeatureLevel())
              .setDecommissioning(node.getDecommissioning())
              .setReplicas(replicasOn(view, node.getNodeId()))
              .setMetadataFailure(answer.getMetadataFailure()));
    }
    out.setFeatureLevel(view.state().getFinalizedFeatureLevel());
    view.nodeByRaftAddress(router.metadata().leaderRaftAddress())
        .ifPresent(n -> out.setMetadataLeader(n.getNodeId()));
    return out;
  }
}
