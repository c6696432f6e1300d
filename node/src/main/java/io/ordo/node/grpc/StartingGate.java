package io.ordo.node.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.NodeServiceGrpc;
import io.ordo.protocol.OrdoStatus;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Refuses clients' calls with LEADER_NOT_AVAILABLE (UNAVAILABLE: the Java client asks another
 * node) until the node has a copy of the cluster's metadata: a node deciding how to start on a
 * new data directory, one that has just joined, or one restarted alone would otherwise answer
 * from an empty copy, as if the cluster had no topics. Peers' calls (NodeService: a starting node
 * is asked how its storage is), health checks and reflection pass at once.
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

  /** Whether clients' calls pass: once the node has had the cluster's metadata. */
  public boolean isOpen() {
    if (!open && hasMetadata.getAsBoolean()) {
      open = true;
    }
    return open;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (isOpen() || ALWAYS_OPEN.contains(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    StatusRuntimeException refusal = OrdoStatus.exception(ErrorCode.LEADER_NOT_AVAILABLE,
        "node " + nodeId + " is starting and has no copy of the cluster's metadata yet (it cannot reach the metadata"
            + " group's leader, or is still joining); ask another node, or this one shortly");
    call.close(refusal.getStatus(), refusal.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
