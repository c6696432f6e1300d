package io.ordo.node.grpc;

import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.MetadataReplica;
import io.ordo.raft.metadata.MetadataResult;
import io.ordo.raft.replica.ReplicaError;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Calls that belong on the metadata leader: a metadata command proposed here, or the whole call
 * passed on to the leader and its answer passed back. Neither holds a thread while it waits.
 */
final class MetadataLeader {
  private final Router router;
  private final PeerChannels peers;

  MetadataLeader(Router router, PeerChannels peers) {
    this.router = router;
    this.peers = peers;
  }

  boolean isHere() {
    return router.metadata().isLeader();
  }

  /**
   * Proposes {@code command}; {@code then} runs with its result once applied (on the metadata
   * group's apply thread: it must be quick, or hand off), a refusal or failure goes to {@code
   * response}.
   */
  void propose(MetadataCommand command, StreamObserver<?> response, Consumer<MetadataResult> then) {
    router.metadata().propose(command, new MetadataReplica.Callback() {
      @Override
      public void onApplied(MetadataResult result) {
        if (result.isOk()) {
          then.accept(result);
        } else {
          response.onError(OrdoStatus.exception(result.error(), result.message()));
        }
      }

      @Override
      public void onFailed(ReplicaError error) {
        response.onError(router.toStatus(error));
      }
    });
  }

  /**
   * Sends the call on to the metadata leader, with the caller's deadline or {@code deadlineMs},
   * whichever is sooner, and its answer back; {@code role} names what the leader is to the caller
   * in the error when no leader is known.
   */
  <Q, R> void forward(MethodDescriptor<Q, R> method, Q request, StreamObserver<R> response, long deadlineMs, String role) {
    Optional<NodeInfo> leader = router.remoteMetadataLeader();
    if (leader.isEmpty()) {
      response.onError(OrdoStatus.exception(
          ErrorCode.LEADER_NOT_AVAILABLE, role + " is not known right now (the metadata group has no leader); retry shortly"));
      return;
    }
    Deadline caller = Context.current().getDeadline();
    Deadline own = Deadline.after(deadlineMs, TimeUnit.MILLISECONDS);
    ClientCalls.asyncUnaryCall(
        peers.to(leader.get().getClientAddress()).newCall(
            method, CallOptions.DEFAULT.withDeadline(caller == null ? own : caller.minimum(own))),
        request,
        response);
  }
}
