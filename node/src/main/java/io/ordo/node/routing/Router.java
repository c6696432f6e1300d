package io.ordo.node.routing;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.MetadataReplica;
import io.ordo.raft.metadata.MetadataResult;
import io.ordo.raft.metadata.MetadataView;
import io.ordo.raft.multiraft.ReplicaManager;
import io.ordo.raft.partition.PartitionId;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.replica.ReplicaError;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/** Resolves topics and partitions to local leader replicas, or to errors that say where to go. */
public final class Router {
  private static final long CURRENT_VIEW_WAIT_MS = 3_000;

  private final int nodeId;
  private final MetadataReplica metadata;
  private final ReplicaManager replicas;
  private final Executor work;

  /** @param work where a lookup that had to wait on the metadata group carries on */
  public Router(int nodeId, MetadataReplica metadata, ReplicaManager replicas, Executor work) {
    this.nodeId = nodeId;
    this.metadata = metadata;
    this.replicas = replicas;
    this.work = work;
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
   * Runs {@code then} with the topic, or {@code onError} with why not (see {@link #withCurrent}).
   */
  public void withTopic(String name, Consumer<TopicRecord> then, Consumer<StatusRuntimeException> onError) {
    withCurrent(
        view -> view.topic(name),
        () -> OrdoStatus.exception(ErrorCode.UNKNOWN_TOPIC, "topic '" + name + "' does not exist"),
        then,
        onError);
  }

  /**
   * Runs {@code then} with what {@code lookup} finds in this node's metadata view, or {@code onError}
   * with why not; an error {@code then} throws goes to {@code onError} too. Something found runs at
   * once, on the caller's thread. Something missing may only be missing from the view: a node that
   * just restarted replays its metadata log, and one cut off from the metadata group lags. So
   * {@code missing} is answered only after a read index has confirmed the view is current, and when
   * it cannot be confirmed the answer is LEADER_NOT_AVAILABLE, which clients retry. That wait holds
   * no thread: the rest runs on the node's work pool, in the caller's gRPC context.
   */
  public <T> void withCurrent(
      Function<MetadataView, Optional<T>> lookup,
      Supplier<StatusRuntimeException> missing,
      Consumer<T> then,
      Consumer<StatusRuntimeException> onError) {
    Optional<T> found = lookup.apply(view());
    if (found.isPresent()) {
      run(then, found.get(), onError);
      return;
    }
    Context call = Context.current();
    metadata
        .awaitCurrent(CURRENT_VIEW_WAIT_MS)
        .completeOnTimeout(false, CURRENT_VIEW_WAIT_MS + 500, TimeUnit.MILLISECONDS)
        .whenComplete((current, error) -> work.execute(call.wrap(() -> {
          if (error != null || !current) {
            onError.accept(OrdoStatus.exception(
                ErrorCode.LEADER_NOT_AVAILABLE,
                "node " + nodeId + " cannot confirm its metadata is current (it is catching up, or the metadata"
                    + " group has no quorum); retry shortly"));
            return;
          }
          Optional<T> known = lookup.apply(view());
          if (known.isEmpty()) {
            onError.accept(missing.get());
            return;
          }
          run(then, known.get(), onError);
        })));
  }

  private static <T> void run(Consumer<T> then, T found, Consumer<StatusRuntimeException> onError) {
    try {
      then.accept(found);
    } catch (StatusRuntimeException e) {
      onError.accept(e);
    }
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

  /**
   * Proposes {@code command} to the metadata group, if this node leads it; completes with the
   * result once applied, or with the refusal or failure as a gRPC status.
   */
  public CompletableFuture<MetadataResult> proposeMetadata(MetadataCommand command) {
    CompletableFuture<MetadataResult> applied = new CompletableFuture<>();
    metadata.propose(command, new MetadataReplica.Callback() {
      @Override
      public void onApplied(MetadataResult result) {
        if (result.isOk()) {
          applied.complete(result);
        } else {
          applied.completeExceptionally(OrdoStatus.exception(result.error(), result.message()));
        }
      }

      @Override
      public void onFailed(ReplicaError error) {
        applied.completeExceptionally(toStatus(error));
      }
    });
    return applied;
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

  /**
   * On the metadata leader: the nodes it heard from just now (voters and learners of the metadata
   * group), this one included, that are not leaving the cluster; sorted by id.
   */
  public List<Integer> liveNodeIds() {
    TreeSet<Integer> ids = new TreeSet<>();
    for (String peer : metadata.alivePeerIds()) {
      view().nodeByRaftPeer(peer).ifPresent(n -> ids.add(n.getNodeId()));
    }
    ids.add(nodeId);
    ids.removeIf(id -> view().node(id).map(NodeInfo::getDecommissioning).orElse(true));
    return List.copyOf(ids);
  }

  /** The metadata leader's node, if known and not this node. */
  public Optional<NodeInfo> remoteMetadataLeader() {
    return view().nodeByRaftAddress(metadata.leaderRaftAddress()).filter(n -> n.getNodeId() != nodeId);
  }
}
