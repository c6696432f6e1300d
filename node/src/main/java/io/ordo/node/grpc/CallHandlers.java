package io.ordo.node.grpc;

import io.grpc.stub.ServerCallStreamObserver;

/**
 * A server call's ready and cancel handlers, which gRPC takes only while the service method runs,
 * pointed at a reader made later (once a topic lookup that waited on the metadata group is done).
 * A cancel that came first runs the reader's cancel as soon as it is attached.
 */
final class CallHandlers {
  private volatile Runnable onReady = () -> {};
  private Runnable onCancel;
  private boolean cancelled;

  private CallHandlers() {}

  static CallHandlers install(ServerCallStreamObserver<?> call) {
    CallHandlers handlers = new CallHandlers();
    call.setOnReadyHandler(() -> handlers.onReady.run());
    call.setOnCancelHandler(handlers::cancelled);
    return handlers;
  }

  /** Where ready signals go from now on; earlier ones are dropped (a reader pumps when it starts). */
  void onReady(Runnable action) {
    onReady = action;
  }

  void onCancel(Runnable action) {
    boolean already;
    synchronized (this) {
      already = cancelled;
      onCancel = action;
    }
    if (already) {
      action.run();
    }
  }

  private void cancelled() {
    Runnable action;
    synchronized (this) {
      cancelled = true;
      action = onCancel;
    }
    if (action != null) {
      action.run();
    }
  }
}
