package io.ordo.node.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.ordo.node.security.Authentication;
import io.ordo.proto.v1.ProducerServiceGrpc;
import java.util.concurrent.Executor;

/**
 * Which threads serve a call on the client port. Produce calls run on the connection's transport
 * thread, the one that read them: their handlers only check the records and queue them for the
 * partition's proposal, and handing each write to a pool thread cost it a thread wake-up (about a
 * twentieth of a loaded node's CPU went to that pool, half of it parking and waking). Every other
 * call, and a produce call that carries a password (checking one takes milliseconds on purpose),
 * runs on the handler pool, where a handler may wait.
 *
 * <p>The server's own executor must be {@link #TRANSPORT}: gRPC looks a call's method up on it
 * before it asks this supplier, and only then moves the call's work to the executor returned.
 */
public final class CallExecutors implements ServerCallExecutorSupplier {
  /** Runs a call's work on the thread that hands it over: the transport's. */
  public static final Executor TRANSPORT = Runnable::run;

  private final Executor handlers;

  /** @param handlers the pool for calls that may wait */
  public CallExecutors(Executor handlers) {
    this.handlers = handlers;
  }

  @Override
  public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
    boolean produce = ProducerServiceGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName());
    return produce && !headers.containsKey(Authentication.AUTHORIZATION) ? TRANSPORT : handlers;
  }
}
