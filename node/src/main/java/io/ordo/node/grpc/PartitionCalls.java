package io.ordo.node.grpc;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.raft.partition.OpCallback;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.replica.ReplicaError;
import java.util.function.Consumer;

/** A gRPC call's op proposed on a partition's leader, without holding the call's thread. */
final class PartitionCalls {
  private PartitionCalls() {}

  /**
   * Proposes {@code op} on {@code replica}; {@code then} gets its result, in the call's context;
   * a failure to commit goes to {@code response} as an error. An op whose caller has given up is
   * not proposed.
   */
  static void propose(
      Router router, PartitionReplica replica, PartitionOp op, StreamObserver<?> response, Consumer<OpResult> then) {
    Context call = Context.current();
    replica.propose(op, op.getSerializedSize(), new OpCallback() {
      @Override
      public void onApplied(OpResult result, long timestampMs) {
        call.run(() -> then.accept(result));
      }

      @Override
      public void onFailed(ReplicaError error) {
        response.onError(router.toStatus(error));
      }

      @Override
      public boolean abandoned() {
        return call.isCancelled();
      }
    });
  }
}
