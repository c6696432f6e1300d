package io.ordo.client.internal;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/** Adapts gRPC's asynchronous unary stubs to {@link CompletableFuture}. */
final class Rpc {
  private Rpc() {}

  /**
   * Starts {@code method(request, observer)} and returns its result. The future completes on a
   * gRPC callback thread, so what is chained to it must not block.
   */
  static <Q, R> CompletableFuture<R> call(BiConsumer<Q, StreamObserver<R>> method, Q request) {
    CompletableFuture<R> result = new CompletableFuture<>();
    method.accept(
        request,
        new StreamObserver<>() {
          @Override
          public void onNext(R value) {
            result.complete(value);
          }

          @Override
          public void onError(Throwable error) {
            result.completeExceptionally(error);
          }

          @Override
          public void onCompleted() {}
        });
    return result;
  }
}
