package io.ordo.node.membership;

import io.grpc.StatusRuntimeException;
import io.ordo.node.routing.Router;
import com.alipay.sofa.jraft.Status;
import io.ordo.node.grpc.GroupRequests;
import io.ordo.proto.raft.v1.AssignStorage;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.RegisterNodes;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.JoinClusterRequest;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.FeatureLevel;
import io.ordo.raft.metadata.MetadataView;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes in a node that starts on a new data directory, on the metadata leader: registers a node
 * new to the cluster, or gives a registered one a new incarnation (AssignStorage: its groups then
 * take the new incarnation in by membership change), then has the metadata group replicate its log
 * to it as a learner, unless it votes there (the metadata leader then swaps its vote to the new
 * incarnation). Partitions come to a new node only when moved there.
 */
public final class NodeJoins {
  private static final Logger LOG = LoggerFactory.getLogger(NodeJoins.class);

  private final Router router;

  public NodeJoins(Router router) {
    this.router = router;
  }

  /**
   * Completes with the node's incarnation once it is registered with the request's storage and a
   * learner (or voter) of the metadata group, or with the reason as a gRPC status.
   */
  public CompletableFuture<Integer> join(JoinClusterRequest request) {
    NodeInfo joining = NodeInfo.newBuilder()
        .setNodeId(request.getNodeId())
        .setClientAddress(request.getClientAddress())
        .setRaftAddress(request.getRaftAddress())
        .build();
    MetadataView view = router.view();
    Optional<NodeInfo> sameId = view.node(joining.getNodeId());
    Optional<NodeInfo> sameAddress = view.nodeByRaftAddress(joining.getRaftAddress());
    if (joining.getNodeId() <= 0) {
      return refused("a node id is a positive integer, not " + joining.getNodeId());
    }
    if (sameId.isPresent() && !sameId.get().getRaftAddress().equals(joining.getRaftAddress())) {
      return refused("node id " + joining.getNodeId() + " belongs to the node at Raft address " + sameId.get().getRaftAddress()
          + "; a joining node needs an id of its own");
    }
    if (sameAddress.isPresent() && sameAddress.get().getNodeId() != joining.getNodeId()) {
      return refused("Raft address " + joining.getRaftAddress() + " belongs to node " + sameAddress.get().getNodeId());
    }
    try {
      GroupRequests.requireFeature(view, FeatureLevel.STORAGE_IDENTITY, "nodes joining with a data directory identity");
    } catch (StatusRuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (request.getStorageId().isEmpty()) {
      return refused("a joining node names its data directory's storage id (is it a version older than the cluster's?)");
    }
    boolean addressesKnown = sameId.isPresent() && sameId.get().getClientAddress().equals(joining.getClientAddress());
    CompletableFuture<Void> registered = addressesKnown
        ? CompletableFuture.completedFuture(null)
        : propose(MetadataCommand.newBuilder().setRegisterNodes(RegisterNodes.newBuilder()
                .addNodes(sameId.isPresent() ? joining : joining.toBuilder().setStorageId(request.getStorageId()).build())).build(),
            "node " + joining.getNodeId() + " registered: client " + joining.getClientAddress() + ", Raft " + joining.getRaftAddress());
    return registered
        .thenCompose(done -> propose(
            MetadataCommand.newBuilder().setAssignStorage(AssignStorage.newBuilder()
                .setNodeId(joining.getNodeId())
                .setStorageId(request.getStorageId())).build(),
            null))
        .thenCompose(done -> {
          MetadataView current = router.view();
          NodeInfo node = current.node(joining.getNodeId()).orElseThrow(
              () -> OrdoStatus.exception(ErrorCode.LEADER_NOT_AVAILABLE, "node " + joining.getNodeId() + " was deregistered meanwhile"));
          boolean votes = router.metadata().memberPeerIds().stream()
              .anyMatch(peer -> current.nodeAtRaftPeer(peer).filter(n -> n.getNodeId() == node.getNodeId()).isPresent());
          CompletableFuture<Status> learner = votes
              ? CompletableFuture.completedFuture(Status.OK())
              : router.metadata().addLearner(MetadataView.raftPeer(node));
          return learner.thenApply(status -> {
            if (!status.isOk()) {
              throw OrdoStatus.exception(ErrorCode.LEADER_NOT_AVAILABLE, "adding node " + joining.getNodeId()
                  + " to the metadata group failed (" + status + "); it asks again");
            }
            return node.getIncarnation();
          });
        });
  }

  private CompletableFuture<Void> propose(MetadataCommand command, String done) {
    return router.proposeMetadata(command).thenAccept(applied -> {
      if (done != null) {
        LOG.info(done);
      }
    });
  }

  private static <T> CompletableFuture<T> refused(String message) {
    StatusRuntimeException refusal = OrdoStatus.exception(ErrorCode.INVALID_REQUEST, message);
    return CompletableFuture.failedFuture(refusal);
  }
}
