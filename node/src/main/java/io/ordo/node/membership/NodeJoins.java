package io.ordo.node.membership;

import io.grpc.StatusRuntimeException;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.RegisterNodes;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.JoinClusterRequest;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.MetadataReplica;
import io.ordo.raft.metadata.MetadataResult;
import io.ordo.raft.metadata.MetadataView;
import io.ordo.raft.replica.ReplicaError;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes in a node that joins the cluster, on the metadata leader: registers it in the metadata,
 * then has the metadata group replicate its log to it as a learner, so the node knows the cluster
 * without a vote in it (the metadata group's voters stay the initial nodes). Partitions come to
 * the node only when moved there.
 */
public final class NodeJoins {
  private static final Logger LOG = LoggerFactory.getLogger(NodeJoins.class);

  private final Router router;

  public NodeJoins(Router router) {
    this.router = router;
  }

  /** Completes once the node is registered and a learner, or with the reason as a gRPC status. */
  public CompletableFuture<Void> join(JoinClusterRequest request) {
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
    CompletableFuture<Void> registered = joining.equals(sameId.orElse(null)) ? CompletableFuture.completedFuture(null) : register(joining);
    return registered
        .thenCompose(done -> router.metadata().addLearner(joining.getRaftAddress()))
        .thenAccept(status -> {
          if (!status.isOk()) {
            throw OrdoStatus.exception(ErrorCode.LEADER_NOT_AVAILABLE, "adding node " + joining.getNodeId()
                + " to the metadata group failed (" + status + "); it asks again");
          }
        });
  }

  private CompletableFuture<Void> register(NodeInfo joining) {
    CompletableFuture<Void> registered = new CompletableFuture<>();
    router.metadata().propose(
        MetadataCommand.newBuilder().setRegisterNodes(RegisterNodes.newBuilder().addNodes(joining)).build(),
        new MetadataReplica.Callback() {
          @Override
          public void onApplied(MetadataResult result) {
            LOG.info("node {} joined: client {}, Raft {}", joining.getNodeId(), joining.getClientAddress(), joining.getRaftAddress());
            registered.complete(null);
          }

          @Override
          public void onFailed(ReplicaError error) {
            registered.completeExceptionally(router.toStatus(error));
          }
        });
    return registered;
  }

  private static CompletableFuture<Void> refused(String message) {
    StatusRuntimeException refusal = OrdoStatus.exception(ErrorCode.INVALID_REQUEST, message);
    return CompletableFuture.failedFuture(refusal);
  }
}
