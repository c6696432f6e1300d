package io.ordo.node.grpc;

import io.grpc.stub.StreamObserver;
import io.ordo.node.membership.MembershipDriver;
import io.ordo.node.membership.NodeJoins;
import io.ordo.node.routing.ClusterInspector;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.proto.v1.ChangeReplicasRequest;
import io.ordo.proto.v1.ChangeReplicasResponse;
import io.ordo.proto.v1.JoinClusterRequest;
import io.ordo.proto.v1.JoinClusterResponse;
import io.ordo.proto.v1.LocalReplicasRequest;
import io.ordo.proto.v1.LocalReplicasResponse;
import io.ordo.proto.v1.NodeServiceGrpc;

/** NodeService: node-to-node status probes and membership changes. */
public final class NodeGrpcService extends NodeServiceGrpc.NodeServiceImplBase {
  private static final long FORWARD_DEADLINE_MS = 10_000;

  private final MetadataLeader metadataLeader;
  private final ClusterInspector inspector;
  private final MembershipDriver membership;
  private final NodeJoins joins;

  public NodeGrpcService(
      Router router, PeerChannels peers, ClusterInspector inspector, MembershipDriver membership, NodeJoins joins) {
    this.metadataLeader = new MetadataLeader(router, peers);
    this.inspector = inspector;
    this.membership = membership;
    this.joins = joins;
  }

  @Override
  public void joinCluster(JoinClusterRequest request, StreamObserver<JoinClusterResponse> response) {
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(NodeServiceGrpc.getJoinClusterMethod(), request, response, FORWARD_DEADLINE_MS, "the metadata leader");
      return;
    }
    joins.join(request)
        .thenApply(incarnation -> JoinClusterResponse.newBuilder().setIncarnation(incarnation).build())
        .whenComplete(AdminGrpcService.reply(response));
  }

  @Override
  public void changeReplicas(ChangeReplicasRequest request, StreamObserver<ChangeReplicasResponse> response) {
    membership.changeHere(request).thenApply(ok -> ChangeReplicasResponse.getDefaultInstance()).whenComplete(AdminGrpcService.reply(response));
  }

  @Override
  public void localReplicas(LocalReplicasRequest request, StreamObserver<LocalReplicasResponse> response) {
    response.onNext(inspector.localReplicas(request.getTopicId()));
    response.onCompleted();
  }
}
