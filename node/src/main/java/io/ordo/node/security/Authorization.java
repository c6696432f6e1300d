package io.ordo.node.security;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import io.ordo.proto.v1.Acl;
import io.ordo.proto.v1.AclOperation;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.ConsumeRequest;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.CreateQueueGroupRequest;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.GroupServiceGrpc;
import io.ordo.proto.v1.ListGroupsResponse;
import io.ordo.proto.v1.ListTopicsResponse;
import io.ordo.proto.v1.NodeServiceGrpc;
import io.ordo.proto.v1.ProduceManyRequest;
import io.ordo.proto.v1.ProduceManyResponse;
import io.ordo.proto.v1.ProduceResult;
import io.ordo.proto.v1.ProducerServiceGrpc;
import io.ordo.proto.v1.QueueServiceGrpc;
import io.ordo.proto.v1.ResourceType;
import io.ordo.proto.v1.SecurityServiceGrpc;
import io.ordo.node.grpc.QueueGrpcService;
import io.ordo.protocol.AclRules;
import io.ordo.protocol.OrdoStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Allows each call on the client port only as the ACLs in the metadata say (SecurityService's
 * table of operations), for the principal {@link Authentication} gave it: a refused call is closed
 * PERMISSION_DENIED, naming the operation and the resource, before the service sees its request,
 * so it changes nothing. Super users, the node's own certificate subject among them (nodes call each
 * other with it, passing on calls they were asked), may do anything. ListTopics and ListGroups
 * answer only what the caller may describe. A method this table does not know is refused: a new
 * RPC is closed until it is given its operation here. A stream is checked as it opens (and a
 * Consume stream at each settle): one already open outlives an ACL removed meanwhile. A
 * ProduceMany call's requests are checked one by one: a refused one is answered NOT_AUTHORIZED in
 * its place and never reaches the service, the others go on as they would alone.
 */
public final class Authorization implements ServerInterceptor {
  private static final Set<String> OPEN = Set.of(
      HealthGrpc.SERVICE_NAME, "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection");

  /** What a call needs, read from its request. */
  private record Need(ResourceType type, String name, AclOperation operation) {}

  private final Set<String> superUsers;
  private final Supplier<List<Acl>> acls;
  private final Map<String, Function<Object, List<Need>>> needs = new HashMap<>();

  /** @param acls the ACLs as the metadata holds them now */
  public Authorization(Set<String> superUsers, Supplier<List<Acl>> acls) {
    this.superUsers = Set.copyOf(superUsers);
    this.acls = acls;
    topic(ProducerServiceGrpc.getProduceMethod(), r -> r.getTopic(), AclOperation.PRODUCE);
    rule(ProducerServiceGrpc.getProduceManyMethod(), r -> List.of()); // each request is checked on its own
    topic(ConsumerServiceGrpc.getFetchMethod(), r -> r.getTopic(), AclOperation.CONSUME);
    topic(ConsumerServiceGrpc.getSubscribeMethod(), r -> r.getTopic(), AclOperation.CONSUME);

    topic(AdminServiceGrpc.getCreateTopicMethod(), r -> r.getName(), AclOperation.CREATE);
    topic(AdminServiceGrpc.getDeleteTopicMethod(), r -> r.getName(), AclOperation.DELETE);
    topic(AdminServiceGrpc.getDescribeTopicMethod(), r -> r.getName(), AclOperation.DESCRIBE);
    topic(AdminServiceGrpc.getAlterTopicMethod(), r -> r.getName(), AclOperation.ALTER);
    rule(AdminServiceGrpc.getListTopicsMethod(), r -> List.of()); // the answer is filtered
    cluster(AdminServiceGrpc.getReassignPartitionsMethod(), AclOperation.ALTER);
    cluster(AdminServiceGrpc.getRemoveNodeMethod(), AclOperation.ALTER);
    rule(AdminServiceGrpc.getDescribeClusterMethod(), (DescribeClusterRequest r) -> r.getIncludePartitionHealth()
        ? List.of(new Need(ResourceType.CLUSTER, "", AclOperation.DESCRIBE))
        : List.of());

    // A group's calls that name topics need the topics too, as Kafka's offset calls do.
    rule(GroupServiceGrpc.getHeartbeatMethod(), r -> Stream.concat(
        Stream.of(new Need(ResourceType.GROUP, r.getGroup(), AclOperation.JOIN)),
        r.getTopicsList().stream().map(t -> new Need(ResourceType.TOPIC, t, AclOperation.CONSUME))).toList());
    group(GroupServiceGrpc.getLeaveGroupMethod(), r -> r.getGroup(), AclOperation.JOIN);
    rule(GroupServiceGrpc.getClaimPartitionMethod(), r -> List.of(
        new Need(ResourceType.GROUP, r.getGroup(), AclOperation.JOIN), new Need(ResourceType.TOPIC, r.getTopic(), AclOperation.CONSUME)));
    rule(GroupServiceGrpc.getCommitOffsetMethod(), r -> List.of(
        new Need(ResourceType.GROUP, r.getGroup(), AclOperation.COMMIT), new Need(ResourceType.TOPIC, r.getTopic(), AclOperation.CONSUME)));
    rule(GroupServiceGrpc.getResetOffsetMethod(), r -> List.of(
        new Need(ResourceType.GROUP, r.getGroup(), AclOperation.COMMIT), new Need(ResourceType.TOPIC, r.getTopic(), AclOperation.CONSUME)));
    rule(GroupServiceGrpc.getFetchOffsetMethod(), r -> List.of(
        new Need(ResourceType.GROUP, r.getGroup(), AclOperation.DESCRIBE), new Need(ResourceType.TOPIC, r.getTopic(), AclOperation.DESCRIBE)));
    group(GroupServiceGrpc.getDescribeGroupMethod(), r -> r.getGroup(), AclOperation.DESCRIBE);
    group(GroupServiceGrpc.getDeleteOffsetMethod(), r -> r.getGroup(), AclOperation.DELETE);
    group(GroupServiceGrpc.getDeleteGroupMethod(), r -> r.getGroup(), AclOperation.DELETE);
    rule(GroupServiceGrpc.getListGroupsMethod(), r -> List.of()); // the answer is filtered

    rule(QueueServiceGrpc.getCreateQueueGroupMethod(), Authorization::createQueueGroupNeeds);
    group(QueueServiceGrpc.getDescribeQueueGroupMethod(), r -> r.getGroup(), AclOperation.DESCRIBE);
    rule(QueueServiceGrpc.getReceiveMethod(), r -> List.of(
        new Need(ResourceType.GROUP, r.getGroup(), AclOperation.JOIN), new Need(ResourceType.TOPIC, r.getTopic(), AclOperation.CONSUME)));
    group(QueueServiceGrpc.getSettleMethod(), r -> r.getGroup(), AclOperation.SETTLE);
    rule(QueueServiceGrpc.getConsumeMethod(), Authorization::consumeNeeds);
    group(QueueServiceGrpc.getDescribeQueuePartitionMethod(), r -> r.getGroup(), AclOperation.DESCRIBE);
    rule(QueueServiceGrpc.getListDeadLettersMethod(), r -> List.of( // dead letters carry the topic's records
        new Need(ResourceType.GROUP, r.getGroup(), AclOperation.DESCRIBE), new Need(ResourceType.TOPIC, r.getTopic(), AclOperation.CONSUME)));
    group(QueueServiceGrpc.getRedriveDeadLettersMethod(), r -> r.getGroup(), AclOperation.REDRIVE);

    cluster(SecurityServiceGrpc.getUpsertUserMethod(), AclOperation.ALTER);
    cluster(SecurityServiceGrpc.getDeleteUserMethod(), AclOperation.ALTER);
    cluster(SecurityServiceGrpc.getAddAclsMethod(), AclOperation.ALTER);
    cluster(SecurityServiceGrpc.getRemoveAclsMethod(), AclOperation.ALTER);
    cluster(SecurityServiceGrpc.getListUsersMethod(), AclOperation.DESCRIBE);
    cluster(SecurityServiceGrpc.getListAclsMethod(), AclOperation.DESCRIBE);

    for (var method : NodeServiceGrpc.getServiceDescriptor().getMethods()) {
      needs.put(method.getFullMethodName(), r -> List.of(new Need(ResourceType.CLUSTER, "", AclOperation.ALTER)));
    }
  }

  /**
   * A queue group pins its topic's log and the node writes its dead letters (creating their topic)
   * on its own authority: creating one needs to read the topic, and to create and write the
   * dead-letter topic.
   */
  private static List<Need> createQueueGroupNeeds(CreateQueueGroupRequest request) {
    List<Need> needs = new ArrayList<>(List.of(
        new Need(ResourceType.GROUP, request.getGroup(), AclOperation.CREATE),
        new Need(ResourceType.TOPIC, request.getTopic(), AclOperation.CONSUME)));
    String deadLetters = QueueGrpcService.withDefaults(request.getPolicy(), request.getTopic()).getDeadLetterTopic();
    if (!deadLetters.isEmpty()) {
      needs.add(new Need(ResourceType.TOPIC, deadLetters, AclOperation.CREATE));
      needs.add(new Need(ResourceType.TOPIC, deadLetters, AclOperation.PRODUCE));
    }
    return needs;
  }

  /** A Consume stream's open needs to join the group and consume the topic; each settle on it, to settle. */
  private static List<Need> consumeNeeds(ConsumeRequest request) {
    return switch (request.getRequestCase()) {
      case OPEN -> List.of(
          new Need(ResourceType.GROUP, request.getOpen().getGroup(), AclOperation.JOIN),
          new Need(ResourceType.TOPIC, request.getOpen().getTopic(), AclOperation.CONSUME));
      default -> List.of();
    };
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String service = call.getMethodDescriptor().getServiceName();
    String principal = Authentication.PRINCIPAL.get();
    if (OPEN.contains(service) || superUsers.contains(principal)) {
      return next.startCall(call, headers);
    }
    Function<Object, List<Need>> need = needs.get(call.getMethodDescriptor().getFullMethodName());
    if (need == null) {
      StatusRuntimeException refused = OrdoStatus.exception(ErrorCode.NOT_AUTHORIZED,
          call.getMethodDescriptor().getFullMethodName() + " is open to super users only");
      call.close(refused.getStatus(), refused.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    GuardedCall<Q, R> guarded = new GuardedCall<>(call, principal);
    ServerCall.Listener<Q> listener = next.startCall(guarded, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      /** The group a Consume stream opened, which its settles settle in. */
      private String consumeGroup;

      @Override
      @SuppressWarnings("unchecked")
      public void onMessage(Q message) {
        if (guarded.closed) {
          return;
        }
        if (message instanceof ProduceManyRequest many) {
          message = (Q) guarded.withoutRefused(many);
          if (message != null) {
            super.onMessage(message);
          }
          return;
        }
        List<Need> needed = need.apply(message);
        if (message instanceof ConsumeRequest consume) {
          if (consume.hasOpen()) {
            consumeGroup = consume.getOpen().getGroup();
          } else if (consume.hasSettle() && consumeGroup != null) {
            needed = List.of(new Need(ResourceType.GROUP, consumeGroup, AclOperation.SETTLE));
          }
        }
        for (Need n : needed) {
          if (!allows(principal, n)) {
            guarded.refuse(refusal(principal, n));
            return;
          }
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!guarded.closed) {
          super.onHalfClose();
        }
      }

      /** A stream refused midway ends for the service as if the client had gone: its cancel handler cleans up. */
      @Override
      public void onComplete() {
        if (guarded.refused) {
          super.onCancel();
        } else {
          super.onComplete();
        }
      }
    };
  }

  private boolean allows(String principal, Need need) {
    return AclRules.allows(acls.get(), principal, need.type(), need.name(), need.operation());
  }

  private static String refusal(String principal, Need need) {
    return principal + " may not " + AclRules.name(need.operation()) + " "
        + (need.type() == ResourceType.CLUSTER ? "the cluster" : AclRules.type(need.type()) + " '" + need.name() + "'")
        + ": no ACL allows it, or one denies it (ordo acl list --principal " + principal + ")";
  }

  /**
   * The call as the service sees it: lists filtered to what the principal may describe, refused
   * requests of a ProduceMany answered in their places, and closed once refused.
   */
  private final class GuardedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private final String principal;
    /** Both written under this call's lock; the service sends from its own threads. */
    private volatile boolean closed;
    private volatile boolean refused;
    /** A ProduceMany call's refused requests, by their place in the call. */
    private volatile Map<Integer, ProduceResult> refusedRequests = Map.of();

    /**
     * The requests of {@code many} the principal may make, remembering the refusals to answer in
     * their places; null, with the call refused, when it may make none of them.
     */
    ProduceManyRequest withoutRefused(ProduceManyRequest many) {
      Map<Integer, ProduceResult> refusals = new HashMap<>();
      ProduceManyRequest.Builder allowed = ProduceManyRequest.newBuilder();
      for (int i = 0; i < many.getRequestsCount(); i++) {
        Need need = new Need(ResourceType.TOPIC, many.getRequests(i).getTopic(), AclOperation.PRODUCE);
        if (allows(principal, need)) {
          allowed.addRequests(many.getRequests(i));
        } else {
          StatusRuntimeException refusal = OrdoStatus.exception(ErrorCode.NOT_AUTHORIZED, refusal(principal, need));
          refusals.put(i, OrdoStatus.failedProduce(refusal));
        }
      }
      if (refusals.isEmpty()) {
        return many;
      }
      if (allowed.getRequestsCount() == 0) {
        refuse(refusals.get(0).getError().getMessage());
        return null;
      }
      refusedRequests = refusals;
      return allowed.build();
    }

    GuardedCall(ServerCall<Q, R> call, String principal) {
      super(call);
      this.principal = principal;
    }

    synchronized void refuse(String message) {
      StatusRuntimeException refusal = OrdoStatus.exception(ErrorCode.NOT_AUTHORIZED, message);
      refused = !closed;
      close(refusal.getStatus(), refusal.getTrailers());
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!closed) {
        super.sendHeaders(headers);
      }
    }

    @Override
    @SuppressWarnings("unchecked")
    public synchronized void sendMessage(R message) {
      if (closed) {
        return;
      }
      if (message instanceof ListTopicsResponse topics) {
        message = (R) ListTopicsResponse.newBuilder().addAllTopics(topics.getTopicsList().stream()
            .filter(t -> describable(ResourceType.TOPIC, t.getName())).toList()).build();
      } else if (message instanceof ProduceManyResponse answered && !refusedRequests.isEmpty()) {
        ProduceManyResponse.Builder all = ProduceManyResponse.newBuilder();
        int requestCount = answered.getResultsCount() + refusedRequests.size();
        for (int i = 0, next = 0; i < requestCount; i++) {
          ProduceResult refusal = refusedRequests.get(i);
          all.addResults(refusal != null ? refusal : answered.getResults(next++));
        }
        message = (R) all.build();
      } else if (message instanceof ListGroupsResponse groups) {
        message = (R) ListGroupsResponse.newBuilder().addAllGroups(groups.getGroupsList().stream()
            .filter(g -> describable(ResourceType.GROUP, g.getName())).toList()).build();
      }
      super.sendMessage(message);
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (!closed) {
        closed = true;
        super.close(status, trailers);
      }
    }

    private boolean describable(ResourceType type, String name) {
      return AclRules.allows(acls.get(), principal, type, name, AclOperation.DESCRIBE);
    }
  }

  private <Q> void topic(MethodDescriptor<Q, ?> method, Function<Q, String> name, AclOperation operation) {
    rule(method, r -> List.of(new Need(ResourceType.TOPIC, name.apply(r), operation)));
  }

  private <Q> void group(MethodDescriptor<Q, ?> method, Function<Q, String> name, AclOperation operation) {
    rule(method, r -> List.of(new Need(ResourceType.GROUP, name.apply(r), operation)));
  }

  private <Q> void cluster(MethodDescriptor<Q, ?> method, AclOperation operation) {
    rule(method, r -> List.of(new Need(ResourceType.CLUSTER, "", operation)));
  }

  @SuppressWarnings("unchecked")
  private <Q> void rule(MethodDescriptor<Q, ?> method, Function<Q, List<Need>> need) {
    needs.put(method.getFullMethodName(), request -> need.apply((Q) request));
  }
}
