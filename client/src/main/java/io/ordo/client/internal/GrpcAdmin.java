package io.ordo.client.internal;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.client.AclBinding;
import io.ordo.client.Admin;
import io.ordo.client.ClusterInfo;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.DeadLetterRecord;
import io.ordo.client.GroupInfo;
import io.ordo.client.GroupSummary;
import io.ordo.client.NodeInfo;
import io.ordo.client.OrdoException;
import io.ordo.client.PartitionHealth;
import io.ordo.client.PartitionInfo;
import io.ordo.client.QueueGroupInfo;
import io.ordo.client.TopicInfo;
import io.ordo.client.TopicPartition;
import io.ordo.client.TopicSummary;
import io.ordo.client.UserInfo;
import io.ordo.proto.v1.Acl;
import io.ordo.proto.v1.AclOperation;
import io.ordo.proto.v1.AclPermission;
import io.ordo.proto.v1.AddAclsRequest;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.AlterTopicRequest;
import io.ordo.proto.v1.ClusterDescription;
import io.ordo.proto.v1.CreateQueueGroupRequest;
import io.ordo.proto.v1.CreateTopicRequest;
import io.ordo.proto.v1.DeadLetter;
import io.ordo.proto.v1.DeleteGroupRequest;
import io.ordo.proto.v1.DeleteTopicRequest;
import io.ordo.proto.v1.DeleteUserRequest;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.DescribeGroupRequest;
import io.ordo.proto.v1.DescribeQueueGroupRequest;
import io.ordo.proto.v1.DescribeTopicRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.FetchOffsetRequest;
import io.ordo.proto.v1.GroupDescription;
import io.ordo.proto.v1.GroupServiceGrpc;
import io.ordo.proto.v1.ListDeadLettersRequest;
import io.ordo.proto.v1.ListDeadLettersResponse;
import io.ordo.proto.v1.ListGroupsRequest;
import io.ordo.proto.v1.ListAclsRequest;
import io.ordo.proto.v1.ListTopicsRequest;
import io.ordo.proto.v1.ListUsersRequest;
import io.ordo.proto.v1.MemberDescription;
import io.ordo.proto.v1.PartitionDescription;
import io.ordo.proto.v1.PatternType;
import io.ordo.proto.v1.PartitionReplicas;
import io.ordo.proto.v1.ReassignPartitionsRequest;
import io.ordo.proto.v1.RemoveNodeRequest;
import io.ordo.proto.v1.QueueGroupDescription;
import io.ordo.proto.v1.QueuePartitionRequest;
import io.ordo.proto.v1.QueuePartitionStatus;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.QueueServiceGrpc;
import io.ordo.proto.v1.RemoveAclsRequest;
import io.ordo.proto.v1.ResetOffsetRequest;
import io.ordo.proto.v1.ResourceType;
import io.ordo.proto.v1.SecurityServiceGrpc;
import io.ordo.proto.v1.StartFrom;
import io.ordo.proto.v1.TopicDescription;
import io.ordo.proto.v1.UpsertUserRequest;
import io.ordo.protocol.Scram;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The {@link Admin}: each call goes to the first node that answers, trying the known addresses
 * in order and then again after a back-off, until the request timeout. Nodes forward writes to the
 * metadata leader themselves, so any live node will do.
 */
public final class GrpcAdmin implements Admin {
  private final ChannelPool channels;
  private final MetadataCache metadata;
  private final RetryPolicy retry;
  private final LeaderCalls leaders;

  /** Admin calls through {@code channels} to the nodes {@code metadata} knows. */
  public GrpcAdmin(ChannelPool channels, MetadataCache metadata, RetryPolicy retry) {
    this.channels = channels;
    this.metadata = metadata;
    this.retry = retry;
    this.leaders = new LeaderCalls(channels, metadata, retry, retry.timeoutNanos());
  }

  @Override
  public TopicInfo createTopic(String name, int partitions, int replicationFactor) {
    return createTopic(name, partitions, replicationFactor, Map.of());
  }

  @Override
  public TopicInfo createTopic(String name, int partitions, int replicationFactor, Map<String, String> config) {
    CreateTopicRequest request =
        CreateTopicRequest.newBuilder()
            .setName(name)
            .setPartitions(partitions)
            .setReplicationFactor(replicationFactor)
            .putAllConfig(config)
            .build();
    return toTopicInfo(call("create topic '" + name + "'", stub -> stub.createTopic(request)));
  }

  @Override
  public TopicInfo alterTopicConfig(String name, Map<String, String> set, List<String> reset) {
    AlterTopicRequest request = AlterTopicRequest.newBuilder().setName(name).putAllConfig(set).addAllResetConfig(reset).build();
    // Setting the same values again is harmless, so a retry after a lost answer is safe.
    return toTopicInfo(call("change the settings of topic '" + name + "'", stub -> stub.alterTopic(request)));
  }

  @Override
  public TopicInfo addPartitions(String name, int partitions) {
    AlterTopicRequest request = AlterTopicRequest.newBuilder().setName(name).setPartitions(partitions).build();
    try {
      return toTopicInfo(call("grow topic '" + name + "' to " + partitions + " partitions", stub -> stub.alterTopic(request)));
    } catch (OrdoException e) {
      // A retry of a change that was made, its answer lost, is refused: the topic has the count already.
      if (e.errorCode() == ErrorCode.INVALID_PARTITION_COUNT) {
        TopicInfo now = describeTopic(name);
        if (now.partitions().size() == partitions) {
          return now;
        }
      }
      throw e;
    }
  }

  @Override
  public TopicInfo reassignPartitions(String topic, Map<Integer, List<Integer>> replicas) {
    ReassignPartitionsRequest.Builder request = ReassignPartitionsRequest.newBuilder().setTopic(topic);
    new TreeMap<>(replicas).forEach((partition, nodes) ->
        request.addPartitions(PartitionReplicas.newBuilder().setPartition(partition).addAllReplicas(nodes)));
    return toTopicInfo(call("reassign partitions of topic '" + topic + "'", stub -> stub.reassignPartitions(request.build())));
  }

  @Override
  public int removeNode(int nodeId) {
    return call("remove node " + nodeId, stub -> stub.removeNode(RemoveNodeRequest.newBuilder().setNodeId(nodeId).build()))
        .getPartitionsToMove();
  }

  @Override
  public void deleteTopic(String name) {
    call(
        "delete topic '" + name + "'",
        stub -> stub.deleteTopic(DeleteTopicRequest.newBuilder().setName(name).build()));
  }

  @Override
  public List<TopicSummary> listTopics() {
    return call("list topics", stub -> stub.listTopics(ListTopicsRequest.getDefaultInstance()))
        .getTopicsList()
        .stream()
        .map(t -> new TopicSummary(t.getName(), t.getPartitions(), t.getReplicationFactor()))
        .toList();
  }

  @Override
  public void upsertUser(String name, char[] password) {
    if (password.length == 0) {
      throw new IllegalArgumentException("a user's password may not be empty");
    }
    UpsertUserRequest request = UpsertUserRequest.newBuilder()
        .setName(name)
        .setCredential(Scram.credential(password, Scram.DEFAULT_ITERATIONS))
        .build();
    callSecurity("set the password of user '" + name + "'", stub -> stub.upsertUser(request));
  }

  @Override
  public void deleteUser(String name) {
    callSecurity("delete user '" + name + "'", stub -> stub.deleteUser(DeleteUserRequest.newBuilder().setName(name).build()));
  }

  @Override
  public List<UserInfo> listUsers() {
    return callSecurity("list users", stub -> stub.listUsers(ListUsersRequest.getDefaultInstance()))
        .getUsersList()
        .stream()
        .map(u -> new UserInfo(u.getName(), u.getMechanism(), u.getIterations(), Instant.ofEpochMilli(u.getUpdatedAtMs())))
        .toList();
  }

  @Override
  public void addAcls(List<AclBinding> acls) {
    callSecurity("add ACLs", stub -> stub.addAcls(AddAclsRequest.newBuilder().addAllAcls(acls.stream().map(GrpcAdmin::toProto).toList()).build()));
  }

  @Override
  public int removeAcls(List<AclBinding> acls) {
    return callSecurity("remove ACLs",
        stub -> stub.removeAcls(RemoveAclsRequest.newBuilder().addAllAcls(acls.stream().map(GrpcAdmin::toProto).toList()).build()))
        .getRemoved();
  }

  @Override
  public List<AclBinding> listAcls(String principal, AclBinding.Resource resource, String resourceName) {
    ListAclsRequest.Builder request = ListAclsRequest.newBuilder();
    if (principal != null) {
      request.setPrincipal(principal);
    }
    if (resource != null) {
      request.setResourceType(ResourceType.valueOf(resource.name()));
    }
    if (resourceName != null) {
      request.setResourceName(resourceName);
    }
    return callSecurity("list ACLs", stub -> stub.listAcls(request.build())).getAclsList().stream()
        .map(acl -> new AclBinding(acl.getPrincipal(), AclBinding.Resource.valueOf(acl.getResourceType().name()), acl.getResourceName(),
            acl.getPatternType() == PatternType.PREFIXED, AclBinding.Operation.valueOf(acl.getOperation().name()),
            acl.getPermission() == AclPermission.ALLOW))
        .toList();
  }

  private static Acl toProto(AclBinding acl) {
    return Acl.newBuilder()
        .setPrincipal(acl.principal())
        .setResourceType(ResourceType.valueOf(acl.resource().name()))
        .setResourceName(acl.resourceName())
        .setPatternType(acl.prefixed() ? PatternType.PREFIXED : PatternType.LITERAL)
        .setOperation(AclOperation.valueOf(acl.operation().name()))
        .setPermission(acl.allow() ? AclPermission.ALLOW : AclPermission.DENY)
        .build();
  }

  @Override
  public TopicInfo describeTopic(String name) {
    return toTopicInfo(
        call(
            "describe topic '" + name + "'",
            stub -> stub.describeTopic(DescribeTopicRequest.newBuilder().setName(name).build())));
  }

  @Override
  public ClusterInfo describeCluster() {
    ClusterDescription cluster =
        call(
            "describe cluster",
            stub -> stub.describeCluster(DescribeClusterRequest.getDefaultInstance()));
    return new ClusterInfo(
        cluster.getNodesList().stream()
            .map(
                n ->
                    new NodeInfo(
                        n.getNodeId(), n.getClientAddress(), n.getRaftAddress(), n.getAlive(),
                        n.getSupportedFeatureLevel(), n.getDecommissioning(), n.getReplicas(), n.getIncarnation(),
                        n.getRack(), n.getMetadataFailure()))
            .toList(),
        cluster.getMetadataLeader(),
        cluster.getFeatureLevel());
  }

  @Override
  public PartitionHealth partitionHealth() {
    ClusterDescription cluster =
        call(
            "describe partition health",
            stub -> stub.describeCluster(DescribeClusterRequest.newBuilder().setIncludePartitionHealth(true).build()));
    if (!cluster.hasPartitionHealth()) {
      throw new OrdoException(ErrorCode.FEATURE_NOT_ENABLED, Status.Code.FAILED_PRECONDITION,
          "the node did not report partition health: it runs a version older than this client", null);
    }
    io.ordo.proto.v1.PartitionHealth health = cluster.getPartitionHealth();
    return new PartitionHealth(
        health.getPartitions(),
        health.getUnhealthyList().stream()
            .map(u -> new PartitionHealth.UnhealthyPartition(u.getTopic(), toPartitionInfo(u.getPartition())))
            .toList());
  }

  @Override
  public List<GroupSummary> listGroups() {
    return callAnyNode("list groups", groups -> groups.listGroups(ListGroupsRequest.getDefaultInstance()))
        .getGroupsList().stream()
        .map(g -> new GroupSummary(g.getName(), List.copyOf(g.getTopicsList()), g.getMembers(), g.getQueue()))
        .toList();
  }

  @Override
  public GroupInfo describeGroup(String group) {
    GroupDescription description = callAnyNode(
        "describe group '" + group + "'",
        groups -> groups.describeGroup(DescribeGroupRequest.newBuilder().setGroup(group).build()));
    Map<TopicPartition, String> owners = new HashMap<>();
    List<GroupInfo.Member> members = new ArrayList<>();
    for (MemberDescription m : description.getMembersList()) {
      List<TopicPartition> assigned = List.copyOf(TopicPartitionSets.fromProto(m.getAssignedList()));
      assigned.forEach(tp -> owners.put(tp, m.getMemberId()));
      members.add(new GroupInfo.Member(m.getMemberId(), assigned));
    }
    List<GroupInfo.PartitionOffset> partitions = new ArrayList<>();
    for (String topic : description.getTopicsList()) {
      partitions.addAll(partitionOffsets(group, topic, owners));
    }
    return new GroupInfo(
        description.getName(), List.copyOf(description.getTopicsList()), description.getGeneration(), members,
        partitions, description.getQueue());
  }

  /** The group's place in every partition of {@code topic}; none if the topic is gone. */
  private List<GroupInfo.PartitionOffset> partitionOffsets(String group, String topic, Map<TopicPartition, String> owners) {
    TopicInfo info;
    try {
      info = describeTopic(topic);
    } catch (OrdoException e) {
      if (e.errorCode() == ErrorCode.UNKNOWN_TOPIC) {
        return List.of();
      }
      throw e;
    }
    List<GroupInfo.PartitionOffset> out = new ArrayList<>();
    for (PartitionInfo p : info.partitions()) {
      long committed = committedOffset(group, topic, p.partition());
      long from = committed >= 0 ? committed : p.startOffset();
      out.add(new GroupInfo.PartitionOffset(
          topic, p.partition(), committed, p.endOffset(), Math.max(0, p.endOffset() - from),
          owners.getOrDefault(new TopicPartition(topic, p.partition()), "")));
    }
    return out;
  }

  private long committedOffset(String group, String topic, int partition) {
    try {
      return leaders.call(topic, partition, "fetch group '" + group + "' offset of " + topic + "/" + partition,
          (channel, timeoutNanos) -> GroupServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
              .fetchOffset(offsetRequest(group, topic, partition)))
          .getCommittedOffset();
    } catch (OrdoException e) {
      if (e.errorCode() == ErrorCode.UNKNOWN_GROUP) {
        return -1;
      }
      throw e;
    }
  }

  private static FetchOffsetRequest offsetRequest(String group, String topic, int partition) {
    return FetchOffsetRequest.newBuilder().setGroup(group).setTopic(topic).setPartition(partition).build();
  }

  @Override
  public List<GroupInfo.PartitionOffset> resetGroupOffsets(String group, String topic, long offset) {
    GroupInfo info = requireNoMembers(group, "reset its offsets");
    if (!info.topics().contains(topic)) {
      throw new OrdoException(
          ErrorCode.INVALID_REQUEST, Status.Code.INVALID_ARGUMENT,
          "group '" + group + "' has never read topic '" + topic + "'; it reads " + info.topics(), null);
    }
    for (PartitionInfo p : describeTopic(topic).partitions()) {
      ResetOffsetRequest request =
          ResetOffsetRequest.newBuilder().setGroup(group).setTopic(topic).setPartition(p.partition()).setOffset(offset).build();
      leaders.call(topic, p.partition(), "reset group '" + group + "' offset of " + topic + "/" + p.partition(),
          (channel, timeoutNanos) -> GroupServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
              .resetOffset(request));
    }
    return partitionOffsets(group, topic, Map.of());
  }

  @Override
  public void deleteGroup(String group) {
    GroupInfo info = requireNoMembers(group, "delete it");
    for (GroupInfo.PartitionOffset p : info.partitions()) {
      leaders.call(p.topic(), p.partition(), "delete group '" + group + "' offset of " + p.topic() + "/" + p.partition(),
          (channel, timeoutNanos) -> GroupServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
              .deleteOffset(offsetRequest(group, p.topic(), p.partition())));
    }
    callAnyNode("delete group '" + group + "'",
        groups -> groups.deleteGroup(DeleteGroupRequest.newBuilder().setGroup(group).build()));
  }

  @Override
  public void createQueueGroup(String group, String topic, QueuePolicy policy) {
    callAnyNode("create queue group '" + group + "'", (channel, remaining) ->
        QueueServiceGrpc.newBlockingStub(channel).withDeadlineAfter(remaining, TimeUnit.NANOSECONDS)
            .createQueueGroup(CreateQueueGroupRequest.newBuilder().setGroup(group).setTopic(topic).setPolicy(policy).build()));
  }

  @Override
  public QueueGroupInfo describeQueueGroup(String group) {
    QueueGroupDescription description = queueGroup(group);
    String topic = description.getTopic();
    List<QueueGroupInfo.Partition> partitions = new ArrayList<>();
    for (PartitionInfo p : describeTopic(topic).partitions()) {
      QueuePartitionStatus s = onLeader(group, topic, p.partition(), "describe",
          (stub, request) -> stub.describeQueuePartition(request));
      partitions.add(new QueueGroupInfo.Partition(
          p.partition(), s.getKnown(), s.getFloor(), s.getCursor(), s.getEndOffset(), s.getInFlight(), s.getWaiting(),
          s.getBlocked(), s.getDead(), s.getAcked(), s.getRedelivered(), s.getDeadLettered(), s.getUnexported()));
    }
    return new QueueGroupInfo(group, topic, description.getPolicy(),
        description.getStart() == StartFrom.START_FROM_LATEST, partitions);
  }

  @Override
  public List<DeadLetterRecord> deadLetters(String group, int max) {
    String topic = queueGroup(group).getTopic();
    List<DeadLetterRecord> out = new ArrayList<>();
    for (PartitionInfo p : describeTopic(topic).partitions()) {
      long from = 0;
      while (from >= 0 && out.size() < max) {
        ListDeadLettersRequest request = ListDeadLettersRequest.newBuilder()
            .setGroup(group)
            .setTopic(topic)
            .setPartition(p.partition())
            .setFromOffset(from)
            .setMaxRecords(Math.min(max - out.size(), 1_000))
            .build();
        ListDeadLettersResponse page = leaders.call(topic, p.partition(),
            "list dead letters of " + topic + "/" + p.partition() + " in queue group '" + group + "'",
            (channel, timeoutNanos) -> QueueServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS).listDeadLetters(request));
        for (DeadLetter d : page.getDeadLettersList()) {
          ConsumerRecord record = Records.toConsumerRecord(topic, p.partition(), d.getRecord());
          out.add(new DeadLetterRecord(record, d.getDeliveries(), d.getReason(), d.getLastError(), d.getDeadAtMs()));
        }
        from = page.getNextOffset();
      }
    }
    return out;
  }

  @Override
  public long redriveDeadLetters(String group) {
    String topic = queueGroup(group).getTopic();
    long redriven = 0;
    for (PartitionInfo p : describeTopic(topic).partitions()) {
      redriven += onLeader(group, topic, p.partition(), "redrive dead letters of",
          (stub, request) -> stub.redriveDeadLetters(request)).getRedriven();
    }
    return redriven;
  }

  /** The queue group's topic, policy and start, from any node. */
  private QueueGroupDescription queueGroup(String group) {
    return callAnyNode("describe queue group '" + group + "'", (channel, remaining) ->
        QueueServiceGrpc.newBlockingStub(channel).withDeadlineAfter(remaining, TimeUnit.NANOSECONDS)
            .describeQueueGroup(DescribeQueueGroupRequest.newBuilder().setGroup(group).build()));
  }

  /** {@code rpc} on the leader of the partition, for the queue group there. */
  private <T> T onLeader(String group, String topic, int partition, String verb,
      BiFunction<QueueServiceGrpc.QueueServiceBlockingStub, QueuePartitionRequest, T> rpc) {
    QueuePartitionRequest request =
        QueuePartitionRequest.newBuilder().setGroup(group).setTopic(topic).setPartition(partition).build();
    return leaders.call(topic, partition, verb + " " + topic + "/" + partition + " in queue group '" + group + "'",
        (channel, timeoutNanos) -> rpc.apply(
            QueueServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS), request));
  }

  private GroupInfo requireNoMembers(String group, String toDo) {
    GroupInfo info = describeGroup(group);
    if (!info.members().isEmpty()) {
      throw new OrdoException(
          ErrorCode.GROUP_NOT_EMPTY, Status.Code.FAILED_PRECONDITION,
          "group '" + group + "' has " + info.members().size() + " live members; stop them to " + toDo, null);
    }
    return info;
  }

  private <T> T callAnyNode(String what, Function<GroupServiceGrpc.GroupServiceBlockingStub, T> rpc) {
    return callAnyNode(what, (channel, remaining) ->
        rpc.apply(GroupServiceGrpc.newBlockingStub(channel).withDeadlineAfter(remaining, TimeUnit.NANOSECONDS)));
  }

  private <T> T callSecurity(String what, Function<SecurityServiceGrpc.SecurityServiceBlockingStub, T> rpc) {
    return callAnyNode(what, (channel, remaining) ->
        rpc.apply(SecurityServiceGrpc.newBlockingStub(channel).withDeadlineAfter(remaining, TimeUnit.NANOSECONDS)));
  }

  private <T> T call(String what, Function<AdminServiceGrpc.AdminServiceBlockingStub, T> rpc) {
    return callAnyNode(what, (channel, remaining) ->
        rpc.apply(AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(remaining, TimeUnit.NANOSECONDS)));
  }

  /** {@code rpc(channel, remainingNanos)} on the first node that answers, as the class describes. */
  private <T> T callAnyNode(String what, BiFunction<ManagedChannel, Long, T> rpc) {
    long start = System.nanoTime();
    int attempt = 0;
    while (true) {
      OrdoException last = null;
      for (String address : metadata.addresses()) {
        long remaining = retry.timeoutNanos() - (System.nanoTime() - start);
        if (remaining <= 0) {
          break;
        }
        try {
          return rpc.apply(channels.get(address), remaining);
        } catch (StatusRuntimeException e) {
          last = Errors.toOrdo(e);
          if (!last.isRetriable()) {
            throw last;
          }
        }
      }
      long backoff = retry.backoffNanos(++attempt);
      if (last == null || !retry.shouldRetry(last, start, System.nanoTime(), backoff)) {
        throw new OrdoException(
            last == null ? ErrorCode.ERROR_CODE_UNSPECIFIED : last.errorCode(),
            last == null ? Status.Code.DEADLINE_EXCEEDED : last.statusCode(),
            what + ": no node answered (tried " + String.join(", ", metadata.addresses()) + ")"
                + (last == null ? "" : ": " + last.getMessage()),
            last);
      }
      Sleeper.sleep(backoff, what);
    }
  }

  private static TopicInfo toTopicInfo(TopicDescription topic) {
    return new TopicInfo(
        topic.getName(),
        topic.getTopicId(),
        topic.getReplicationFactor(),
        topic.getPartitionsList().stream().map(GrpcAdmin::toPartitionInfo).toList(),
        topic.getConfigMap());
  }

  private static PartitionInfo toPartitionInfo(PartitionDescription p) {
    return new PartitionInfo(
        p.getPartition(),
        p.getLeader(),
        List.copyOf(p.getReplicasList()),
        List.copyOf(p.getInSyncReplicasList()),
        p.getStartOffset(),
        p.getEndOffset(),
        List.copyOf(p.getTargetReplicasList()),
        failedReplicas(p));
  }

  private static Map<Integer, String> failedReplicas(PartitionDescription p) {
    Map<Integer, String> failed = new TreeMap<>();
    p.getFailedReplicasList().forEach(f -> failed.put(f.getNodeId(), f.getError()));
    return Collections.unmodifiableMap(failed);
  }
}
