package io.ordo.node.grpc;

import io.grpc.stub.StreamObserver;
import io.ordo.node.routing.ClusterInspector;
import io.ordo.proto.v1.LocalReplicasRequest;
import io.ordo.proto.v1.LocalReplicasResponse;
import io.ordo.proto.v1.NodeServiceGrpc;

/** NodeService: node-to-node status probes. */
public final class NodeGrpcService extends NodeServiceGrpc.NodeServiceImplBase {
  private final ClusterInspector inspector;

  public NodeGrpcService(ClusterInspector inspector) {
    this.inspector = inspector;
  }

  @Override
  public void localReplicas(LocalReplicasRequest request, StreamObserver<LocalReplicasResponse> response) {
    response.onNext(inspector.localReplicas(request.getTopicId()));
    response.onCompleted();
  }
}
