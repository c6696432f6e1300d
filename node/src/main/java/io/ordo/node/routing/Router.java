package io.ordo.node.routing;

import io.grpc.StatusRuntimeException;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.MetadataReplica;
import io.ordo.raft.metadata.MetadataView;
import io.ordo.raft.multiraft.ReplicaManager;
import io.ordo.raft.partition.PartitionId;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.replica.ReplicaError;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Resolves topics and partitions to local leader replicas, or to errors that say where to go. */
public final class Router {
  private static final long CURRENT_VIEW_WAIT_MS = 3_000;

  private final int nodeId;
  private final MetadataReplica metadata;
  private final ReplicaManager replicas;

  public Router(int nodeId, MetadataReplica metadata, ReplicaManager replicas) {
    this.nodeId = nodeId;
    this.metadata = metadata;
    this.replicas = replicas;
  }

  public int nodeId() {
    return nodeId;
  }

  public MetadataView view() {
    return metadata.view();
  }

  public MetadataReplica metadata() {
    return metadata;
  }

  public ReplicaManager replicas() {
    return replicas;
  }

  /**
   * The topic, or NOT_FOUND. A topic missing from this node's view may only be missing from the
   * view: a node that just restarted replays its metadata log, and one cut off from the metadata
   * group lags. So NOT_FOUND is answered only after a read index has confirmed the view is
   * current; when it cannot be confirmed the answer is UNAVAILABLE, which clients retry.
   */
  public TopicRecord topic(String name) {
    Optional<TopicRecord> topic = view().topic(name);
    if (topic.isPresent()) {
      return topic.get();
    }
    boolean current;
    try {
      current = metadata.awaitCurrent(CURRENT_VIEW_WAIT_MS).get(CURRENT_VIEW_WAIT_MS + 500, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      current = false;
    } catch (ExecutionException | TimeoutException e) {
      current = false;
    }
    if (!current) {
      throw OrdoStatus.exception(
          ErrorCode.LEADER_NOT_AVAILABLE,
          "node " + nodeId + " cannot confirm its metadata is current (it is catching up, or the metadata group"
              + " has no quorum); retry shortly");
    }
    return view()
        .topic(name)
        .orElseThrow(() -> OrdoStatus.exception(ErrorCode.UNKNOWN_TOPIC, "topic '" + name + "' does not exist"));
  }

  /** The partition's replica on this node if it leads the partition; otherwise an error. */
  public PartitionReplica leader(TopicRecord topic, int partition) {
    if (partition < 0 || partition >= topic.getPartitionsCount()) {
      throw OrdoStatus.exception(
          ErrorCode.UNKNOWN_PARTITION,
          "topic '" + topic.getName() + "' has partitions 0.." + (topic.getPartitionsCount() - 1)
              + "; there is no partition " + partition);
    }
    Optional<PartitionReplica> local = replicas.replica(new PartitionId(topic.getTopicId(), partition));
    if (local.isEmpty()) {
      throw OrdoStatus.exception(
          ErrorCode.NOT_LEADER,
          "node " + nodeId + " holds no replica of " + topic.getName() + "/" + partition
              + "; ask DescribeTopic for its leader");
    }
    PartitionReplica replica = local.get();
    if (!replica.isLeader()) {
      throw toStatus(
          new ReplicaError(
              replica.leaderRaftAddress() == null ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NOT_LEADER,
              replica.leaderRaftAddress() == null
                  ? topic.getName() + "/" + partition + " has no leader right now; retry shortly"
                  : "node " + nodeId + " does not lead " + topic.getName() + "/" + partition,
              replica.leaderRaftAddress()));
    }
    return replica;
  }

  /** The error as a gRPC status, the leader's Raft address turned into its id and client address. */
  public StatusRuntimeException toStatus(ReplicaError error) {
    ErrorDetail.Builder detail = ErrorDetail.newBuilder().setCode(error.code());
    String message = error.message();
    Optional<NodeInfo> leader = view().nodeByRaftAddress(error.leaderRaftAddress());
    if (leader.isPresent()) {
      detail.setLeaderNodeId(leader.get().getNodeId()).setLeaderAddress(leader.get().getClientAddress());
      if (error.code() == ErrorCode.NOT_LEADER) {
        message += "; the leader is node " + leader.get().getNodeId() + " at " + leader.get().getClientAddress();
      }
    }
    return OrdoStatus.exception(detail.build(), message);
  }

  /** The metadata leader's node, if known and not this node. */
  public Optional<NodeInfo> remoteMetadataLeader() {
    return view().nodeByRaftAddress(metadata.leaderRaftAddress()).filter(n -> n.getNodeId() != nodeId);
  }
}
