package io.ordo.node.membership;

import io.grpc.StatusRuntimeException;
import io.ordo.node.config.ClusterMember;
import io.ordo.node.config.HostPort;
import io.ordo.node.config.NodeConfig;
import io.ordo.node.routing.PeerChannels;
import io.ordo.proto.v1.JoinClusterRequest;
import io.ordo.proto.v1.LocalReplicasRequest;
import io.ordo.proto.v1.LocalReplicasResponse;
import io.ordo.proto.v1.NodeServiceGrpc;
import io.ordo.proto.v1.StorageState;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides the incarnation a node runs as on a new data directory, before any replica starts on it.
 *
 * <p>A replica that starts with an empty log as the same Raft peer it was before would vote, and
 * count toward quorums, as if it still held what it had acknowledged: a write a majority had could
 * be lost when the leader then fails. So a node with a new directory rejoins a running cluster as
 * a new incarnation (a new peer id in every group, NodeService/JoinCluster), and each group takes
 * it in by membership change after it caught up. Only when every initial node answers that its
 * directory is new too, or that it is forming the cluster with it, does a node start as
 * incarnation 0 and form the cluster. So a cluster first forms once all its initial nodes are up.
 */
public final class NewStorage {
  private static final Logger LOG = LoggerFactory.getLogger(NewStorage.class);
  private static final long ASK_DEADLINE_MS = 2_000;
  private static final long JOIN_DEADLINE_MS = 10_000;
  private static final long RETRY_INTERVAL_MS = 1_000;
  /** Waiting and failures are logged on the first try and then once every this many, not every second. */
  private static final int LOG_EVERY_ATTEMPTS = 15;

  private final NodeConfig config;
  private final StorageIdentity identity;
  private final PeerChannels peers;

  public NewStorage(NodeConfig config, StorageIdentity identity, PeerChannels peers) {
    this.config = config;
    this.identity = identity;
    this.peers = peers;
  }

  /** Blocks until the incarnation is decided, and returns it. */
  public int decideIncarnation() throws InterruptedException {
    if (!config.join().isEmpty()) {
      return join(config.join());
    }
    List<ClusterMember> others = config.initialCluster().stream().filter(m -> m.nodeId() != config.nodeId()).toList();
    for (int attempt = 0; ; attempt++) {
      TreeMap<Integer, StorageState> answers = new TreeMap<>();
      for (ClusterMember other : others) {
        try {
          LocalReplicasResponse answer = NodeServiceGrpc.newBlockingStub(peers.to(other.clientAddress().toString()))
              .withDeadlineAfter(ASK_DEADLINE_MS, TimeUnit.MILLISECONDS)
              .localReplicas(LocalReplicasRequest.newBuilder().setTopicId(-1).build());
          answers.put(other.nodeId(), answer.getStorageState());
        } catch (StatusRuntimeException notUpYet) {
          // asked again on the next attempt
        }
      }
      List<Integer> running = answers.entrySet().stream()
          .filter(e -> e.getValue() != StorageState.STORAGE_EMPTY && e.getValue() != StorageState.STORAGE_FORMING)
          .map(e -> e.getKey())
          .toList();
      if (!running.isEmpty()) {
        LOG.warn("this node's data directory is new and its cluster runs (nodes {} say so): it rejoins as a new incarnation,"
            + " and each of its replicas counts only once it has caught up", running);
        return join(others.stream().map(ClusterMember::clientAddress).toList());
      }
      if (answers.size() == others.size()) {
        LOG.info("every initial node's data directory is new or forming the cluster: forming it");
        return 0;
      }
      if (attempt % LOG_EVERY_ATTEMPTS == 0) {
        LOG.info("this node's data directory is new; waiting for initial nodes {} to answer whether the cluster runs"
            + " (a cluster first forms once all its initial nodes are up)",
            others.stream().map(ClusterMember::nodeId).filter(id -> !answers.containsKey(id)).toList());
      }
      Thread.sleep(RETRY_INTERVAL_MS);
    }
  }

  /** Asks the nodes at {@code through}, in turn, to take this node in, until one does. */
  private int join(List<HostPort> through) throws InterruptedException {
    JoinClusterRequest request = JoinClusterRequest.newBuilder()
        .setNodeId(config.nodeId())
        .setClientAddress(config.clientAddress().toString())
        .setRaftAddress(config.raftAddress().toString())
        .setStorageId(identity.storageId())
        .build();
    for (int attempt = 0; ; attempt++) {
      HostPort target = through.get(attempt % through.size());
      try {
        int incarnation = NodeServiceGrpc.newBlockingStub(peers.to(target.toString()))
            .withDeadlineAfter(JOIN_DEADLINE_MS, TimeUnit.MILLISECONDS)
            .joinCluster(request)
            .getIncarnation();
        LOG.info("node {} is taken into the cluster as incarnation {}", config.nodeId(), incarnation);
        return incarnation;
      } catch (StatusRuntimeException e) {
        if (attempt % LOG_EVERY_ATTEMPTS == 0) {
          LOG.warn("joining the cluster through {} failed (attempt {}), trying again: {}", target, attempt + 1, e.getStatus().getDescription());
        }
      }
      Thread.sleep(RETRY_INTERVAL_MS);
    }
  }
}
