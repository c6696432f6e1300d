package io.ordo.node.grpc;

import com.google.protobuf.UnknownFieldSet;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.AddAcls;
import io.ordo.proto.raft.v1.DeleteUser;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.RemoveAcls;
import io.ordo.proto.raft.v1.UpsertUser;
import io.ordo.proto.raft.v1.UserRecord;
import io.ordo.proto.v1.Acl;
import io.ordo.proto.v1.AddAclsRequest;
import io.ordo.proto.v1.AddAclsResponse;
import io.ordo.proto.v1.DeleteUserRequest;
import io.ordo.proto.v1.DeleteUserResponse;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ListAclsRequest;
import io.ordo.proto.v1.ListAclsResponse;
import io.ordo.proto.v1.ListUsersRequest;
import io.ordo.proto.v1.ListUsersResponse;
import io.ordo.proto.v1.RemoveAclsRequest;
import io.ordo.proto.v1.RemoveAclsResponse;
import io.ordo.proto.v1.ResourceType;
import io.ordo.proto.v1.SecurityServiceGrpc;
import io.ordo.proto.v1.UpsertUserRequest;
import io.ordo.proto.v1.UpsertUserResponse;
import io.ordo.proto.v1.UserDescription;
import io.ordo.protocol.AclRules;
import io.ordo.protocol.Names;
import io.ordo.protocol.OrdoStatus;
import io.ordo.protocol.Scram;
import io.ordo.raft.metadata.FeatureLevel;
import io.ordo.raft.metadata.MetadataResult;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/** SecurityService: users and ACLs, proposed at the metadata leader (or passed on to it) like every metadata change. */
public final class SecurityGrpcService extends SecurityServiceGrpc.SecurityServiceImplBase {
  private static final long FORWARD_DEADLINE_MS = 30_000;
  private static final String METADATA_LEADER = "the metadata leader";
  /** ACLs one AddAcls or RemoveAcls call carries, at most: one metadata entry holds them all. */
  private static final int MAX_ACLS_PER_CALL = 1_000;

  private final Router router;
  private final MetadataLeader metadataLeader;

  public SecurityGrpcService(Router router, PeerChannels peers) {
    this.router = router;
    this.metadataLeader = new MetadataLeader(router, peers);
  }

  @Override
  public void upsertUser(UpsertUserRequest request, StreamObserver<UpsertUserResponse> response) {
    String problem = Names.userProblem(request.getName());
    if (problem == null) {
      problem = Scram.problemWith(request.getCredential());
    }
    if (problem != null) {
      response.onError(OrdoStatus.exception(ErrorCode.INVALID_USER, problem));
      return;
    }
    change(SecurityServiceGrpc.getUpsertUserMethod(), request, response,
        () -> MetadataCommand.newBuilder()
            .setUpsertUser(UpsertUser.newBuilder().setName(request.getName()).setCredential(request.getCredential()))
            .build(),
        done -> UpsertUserResponse.getDefaultInstance());
  }

  @Override
  public void deleteUser(DeleteUserRequest request, StreamObserver<DeleteUserResponse> response) {
    String problem = Names.userProblem(request.getName());
    if (problem != null) {
      response.onError(OrdoStatus.exception(ErrorCode.INVALID_USER, problem));
      return;
    }
    change(SecurityServiceGrpc.getDeleteUserMethod(), request, response,
        () -> MetadataCommand.newBuilder().setDeleteUser(DeleteUser.newBuilder().setName(request.getName())).build(),
        done -> DeleteUserResponse.getDefaultInstance());
  }

  @Override
  public void addAcls(AddAclsRequest request, StreamObserver<AddAclsResponse> response) {
    String problem = request.getAclsCount() == 0 || request.getAclsCount() > MAX_ACLS_PER_CALL
        ? "give 1 to " + MAX_ACLS_PER_CALL + " ACLs, not " + request.getAclsCount()
        : request.getAclsList().stream().map(AclRules::problemWith).filter(Objects::nonNull).findFirst().orElse(null);
    if (problem != null) {
      response.onError(OrdoStatus.exception(ErrorCode.INVALID_ACL, problem));
      return;
    }
    change(SecurityServiceGrpc.getAddAclsMethod(), request, response,
        () -> MetadataCommand.newBuilder().setAddAcls(AddAcls.newBuilder().addAllAcls(known(request.getAclsList()))).build(),
        done -> AddAclsResponse.getDefaultInstance());
  }

  @Override
  public void removeAcls(RemoveAclsRequest request, StreamObserver<RemoveAclsResponse> response) {
    if (request.getAclsCount() == 0 || request.getAclsCount() > MAX_ACLS_PER_CALL) {
      response.onError(OrdoStatus.exception(ErrorCode.INVALID_ACL, "give 1 to " + MAX_ACLS_PER_CALL + " ACLs, not " + request.getAclsCount()));
      return;
    }
    change(SecurityServiceGrpc.getRemoveAclsMethod(), request, response,
        () -> MetadataCommand.newBuilder().setRemoveAcls(RemoveAcls.newBuilder().addAllAcls(known(request.getAclsList()))).build(),
        done -> RemoveAclsResponse.newBuilder().setRemoved(done.changed()).build());
  }

  /** The ACLs with only the fields this version knows: ACLs are equal by them, so remove finds what add stored. */
  private static List<Acl> known(List<Acl> acls) {
    return acls.stream().map(acl -> acl.toBuilder().setUnknownFields(UnknownFieldSet.getDefaultInstance()).build()).toList();
  }

  @Override
  public void listAcls(ListAclsRequest request, StreamObserver<ListAclsResponse> response) {
    list(SecurityServiceGrpc.getListAclsMethod(), request, response, () -> ListAclsResponse.newBuilder()
        .addAllAcls(router.view().acls().stream()
            .filter(acl -> request.getPrincipal().isEmpty() || acl.getPrincipal().equals(request.getPrincipal()))
            .filter(acl -> request.getResourceType() == ResourceType.RESOURCE_TYPE_UNSPECIFIED
                || acl.getResourceType() == request.getResourceType())
            .filter(acl -> request.getResourceName().isEmpty() || acl.getResourceName().equals(request.getResourceName()))
            .toList())
        .build());
  }

  /**
   * What every change takes once its request is valid: passed on to the metadata leader; there,
   * refused until every node supports users and ACLs, else {@code command} proposed and the
   * {@code answer} to its result sent.
   */
  private <Q, R> void change(MethodDescriptor<Q, R> method, Q request, StreamObserver<R> response,
      Supplier<MetadataCommand> command, Function<MetadataResult, R> answer) {
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(method, request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    try {
      GroupRequests.requireFeature(router.view(), FeatureLevel.SECURITY, "users with passwords and ACLs");
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    metadataLeader.propose(command.get(), response, done -> AdminGrpcService.reply(response).accept(answer.apply(done), null));
  }

  /** A list answered by the metadata leader when one is known, so what was just changed is in it; else by {@code local}. */
  private <Q, R> void list(MethodDescriptor<Q, R> method, Q request, StreamObserver<R> response, Supplier<R> local) {
    if (!metadataLeader.isHere() && router.remoteMetadataLeader().isPresent()) {
      metadataLeader.forward(method, request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    AdminGrpcService.reply(response).accept(local.get(), null);
  }

  @Override
  public void listUsers(ListUsersRequest request, StreamObserver<ListUsersResponse> response) {
    list(SecurityServiceGrpc.getListUsersMethod(), request, response, () -> ListUsersResponse.newBuilder()
        .addAllUsers(router.view().state().getUsersList().stream()
            .sorted(Comparator.comparing(UserRecord::getName))
            .map(user -> UserDescription.newBuilder()
                .setName(user.getName())
                .setMechanism(Scram.MECHANISM)
                .setIterations(user.getCredential().getIterations())
                .setUpdatedAtMs(user.getUpdatedAtMs())
                .build())
            .toList())
        .build());
  }
}
