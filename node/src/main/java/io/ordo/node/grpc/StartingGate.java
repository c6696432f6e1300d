package io.ordo.node.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import io.ordo.proto.v1.NodeServiceGrpc;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Refuses clients' calls, UNAVAILABLE (the Java client then asks another node), until the node
 * has a copy of the cluster's metadata: a node deciding how to start on a new data directory, or
 * one that has just joined, would otherwise answer from an empty one, as if the cluster had no
 * topics. Peers' calls (NodeService: a starting node is asked how its storage is), health checks
 * and reflection pass at once.
 */
public final class StartingGate implements ServerInterceptor {
  private static final Set<String> ALWAYS_OPEN = Set.of(
      NodeServiceGrpc.SERVICE_NAME,
      HealthGrpc.SERVICE_NAME,
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection");

  private final int nodeId;
  private final BooleanSupplier hasMetadata;
  private volatile boolean open;

  /** @param hasMetadata whether the node's copy of the metadata has the cluster's nodes; once true, the gate stays open */
  public StartingGate(int nodeId, BooleanSupplier hasMetadata) {
    this.nodeId = nodeId;
    this.hasMetadata = hasMetadata;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!open && hasMetadata.getAsBoolean()) {
      open = true;
    }
    if (open || ALWAYS_OPEN.contains(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    call.close(
        Status.UNAVAILABLE.withDescription(
            "node " + nodeId + " is starting and has no copy of the cluster's metadata yet; ask another node, or this one shortly"),
        new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
