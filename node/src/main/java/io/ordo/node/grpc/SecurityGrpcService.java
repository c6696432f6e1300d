package io.ordo.node.grpc;

import com.google.protobuf.UnknownFieldSet;
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
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

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
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(SecurityServiceGrpc.getUpsertUserMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    if (!securityEnabled(response)) {
      return;
    }
    metadataLeader.propose(
        MetadataCommand.newBuilder()
            .setUpsertUser(UpsertUser.newBuilder().setName(request.getName()).setCredential(request.getCredential()))
            .build(),
        response,
        done -> AdminGrpcService.reply(response).accept(UpsertUserResponse.getDefaultInstance(), null));
  }

  @Override
  public void deleteUser(DeleteUserRequest request, StreamObserver<DeleteUserResponse> response) {
    String problem = Names.userProblem(request.getName());
    if (problem != null) {
      response.onError(OrdoStatus.exception(ErrorCode.INVALID_USER, problem));
      return;
    }
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(SecurityServiceGrpc.getDeleteUserMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    if (!securityEnabled(response)) {
      return;
    }
    metadataLeader.propose(
        MetadataCommand.newBuilder().setDeleteUser(DeleteUser.newBuilder().setName(request.getName())).build(),
        response,
        done -> AdminGrpcService.reply(response).accept(DeleteUserResponse.getDefaultInstance(), null));
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
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(SecurityServiceGrpc.getAddAclsMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    if (!securityEnabled(response)) {
      return;
    }
    metadataLeader.propose(
        MetadataCommand.newBuilder().setAddAcls(AddAcls.newBuilder().addAllAcls(known(request.getAclsList()))).build(),
        response,
        done -> AdminGrpcService.reply(response).accept(AddAclsResponse.getDefaultInstance(), null));
  }

  @Override
  public void removeAcls(RemoveAclsRequest request, StreamObserver<RemoveAclsResponse> response) {
    if (request.getAclsCount() == 0 || request.getAclsCount() > MAX_ACLS_PER_CALL) {
      response.onError(OrdoStatus.exception(ErrorCode.INVALID_ACL, "give 1 to " + MAX_ACLS_PER_CALL + " ACLs, not " + request.getAclsCount()));
      return;
    }
    if (!metadataLeader.isHere()) {
      metadataLeader.forward(SecurityServiceGrpc.getRemoveAclsMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    if (!securityEnabled(response)) {
      return;
    }
    metadataLeader.propose(
        MetadataCommand.newBuilder().setRemoveAcls(RemoveAcls.newBuilder().addAllAcls(known(request.getAclsList()))).build(),
        response,
        done -> AdminGrpcService.reply(response).accept(RemoveAclsResponse.newBuilder().setRemoved(done.changed()).build(), null));
  }

  /** The ACLs with only the fields this version knows: ACLs are equal by them, so remove finds what add stored. */
  private static List<Acl> known(List<Acl> acls) {
    return acls.stream().map(acl -> acl.toBuilder().setUnknownFields(UnknownFieldSet.getDefaultInstance()).build()).toList();
  }

  /** Answered by the metadata leader when one is known, so an ACL just added is listed. */
  @Override
  public void listAcls(ListAclsRequest request, StreamObserver<ListAclsResponse> response) {
    if (!metadataLeader.isHere() && router.remoteMetadataLeader().isPresent()) {
      metadataLeader.forward(SecurityServiceGrpc.getListAclsMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    ListAclsResponse.Builder out = ListAclsResponse.newBuilder();
    router.view().acls().stream()
        .filter(acl -> request.getPrincipal().isEmpty() || acl.getPrincipal().equals(request.getPrincipal()))
        .filter(acl -> request.getResourceType() == ResourceType.RESOURCE_TYPE_UNSPECIFIED || acl.getResourceType() == request.getResourceType())
        .filter(acl -> request.getResourceName().isEmpty() || acl.getResourceName().equals(request.getResourceName()))
        .forEach(out::addAcls);
    AdminGrpcService.reply(response).accept(out.build(), null);
  }

  private boolean securityEnabled(StreamObserver<?> response) {
    try {
      GroupRequests.requireFeature(router.view(), FeatureLevel.SECURITY, "users with passwords and ACLs");
      return true;
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return false;
    }
  }

  /** Answered by the metadata leader when one is known, so a user just created is listed. */
  @Override
  public void listUsers(ListUsersRequest request, StreamObserver<ListUsersResponse> response) {
    if (!metadataLeader.isHere() && router.remoteMetadataLeader().isPresent()) {
      metadataLeader.forward(SecurityServiceGrpc.getListUsersMethod(), request, response, FORWARD_DEADLINE_MS, METADATA_LEADER);
      return;
    }
    ListUsersResponse.Builder out = ListUsersResponse.newBuilder();
    router.view().state().getUsersList().stream()
        .sorted(Comparator.comparing(UserRecord::getName))
        .forEach(user -> out.addUsers(UserDescription.newBuilder()
            .setName(user.getName())
            .setMechanism(Scram.MECHANISM)
            .setIterations(user.getCredential().getIterations())
            .setUpdatedAtMs(user.getUpdatedAtMs())));
    AdminGrpcService.reply(response).accept(out.build(), null);
  }
}
