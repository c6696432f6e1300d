package io.ordo.node.grpc;

import io.grpc.stub.StreamObserver;
import io.ordo.node.reassign.ReassignmentDriver;
import io.ordo.node.routing.ClusterInspector;
import io.ordo.proto.v1.ChangeReplicasRequest;
import io.ordo.proto.v1.ChangeReplicasResponse;
import io.ordo.proto.v1.LocalReplicasRequest;
import io.ordo.proto.v1.LocalReplicasResponse;
import io.ordo.proto.v1.NodeServiceGrpc;
import java.util.concurrent.CompletionException;

/** NodeService: node-to-node status probes and membership changes. */
public final class NodeGrpcService extends NodeServiceGrpc.NodeServiceImplBase {
  private final ClusterInspector inspector;
  private final ReassignmentDriver reassignments;

  public NodeGrpcService(ClusterInspector inspector, ReassignmentDriver reassignments) {
    this.inspector = inspector;
    this.reassignments = reassignments;
  }

  @Override
  public void changeReplicas(ChangeReplicasRequest request, StreamObserver<ChangeReplicasResponse> response) {
    reassignments.changeHere(request).whenComplete((done, error) -> {
      if (error == null) {
        response.onNext(ChangeReplicasResponse.getDefaultInstance());
        response.onCompleted();
      } else {
        response.onError(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
      }
    });
  }

  @Override
  public void localReplicas(LocalReplicasRequest request, StreamObserver<LocalReplicasResponse> response) {
    response.onNext(inspector.localReplicas(request.getTopicId()));
    response.onCompleted();
  }
}
