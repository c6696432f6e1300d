package io.ordo.node.grpc;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the calls a node serves at once (unary calls until answered, streams until they end):
 * each holds memory and a share of the handler threads, and a flood of them would otherwise grow
 * without limit until the node falls over. Past the bound a call is refused at once with OVERLOADED
 * (RESOURCE_EXHAUSTED), which clients retry with back-off. Health checks and peers' NodeService
 * calls (membership, replica probes) always pass: the cluster must see an overloaded node as alive.
 */
public final class CallLimiter implements ServerInterceptor {
  private static final Set<String> ALWAYS_OPEN = Set.of(NodeServiceGrpc.SERVICE_NAME, HealthGrpc.SERVICE_NAME);

  private final int nodeId;
  private final int max;
  private final AtomicInteger active = new AtomicInteger();

  public CallLimiter(int nodeId, int maxConcurrentCalls) {
    this.nodeId = nodeId;
    this.max = maxConcurrentCalls;
  }

  /** Calls in progress that count toward the bound. */
  public int active() {
    return active.get();
  }

  public int max() {
    return max;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (ALWAYS_OPEN.contains(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    // Never past the bound, not even for a moment: the gauge of it must not read above max.
    if (active.getAndUpdate(n -> n < max ? n + 1 : n) >= max) {
      StatusRuntimeException refusal = OrdoStatus.exception(ErrorCode.OVERLOADED,
          "node " + nodeId + " serves " + max + " calls at once already (--max-concurrent-calls); retry with back-off");
      call.close(refusal.getStatus(), refusal.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    AtomicBoolean ended = new AtomicBoolean();
    Runnable release = () -> {
      if (ended.compareAndSet(false, true)) {
        active.decrementAndGet();
      }
    };
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(call, headers);
    } catch (RuntimeException | Error e) {
      release.run();
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        release.run();
        super.onComplete();
      }

      @Override
      public void onCancel() {
        release.run();
        super.onCancel();
      }
    };
  }
}
