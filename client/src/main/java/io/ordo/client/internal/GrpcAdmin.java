package io.ordo.client.internal;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.client.Admin;
import io.ordo.client.ClusterInfo;
import io.ordo.client.NodeInfo;
import io.ordo.client.OrdoException;
import io.ordo.client.PartitionInfo;
import io.ordo.client.TopicInfo;
import io.ordo.client.TopicSummary;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.ClusterDescription;
import io.ordo.proto.v1.CreateTopicRequest;
import io.ordo.proto.v1.DeleteTopicRequest;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.DescribeTopicRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ListTopicsRequest;
import io.ordo.proto.v1.PartitionDescription;
import io.ordo.proto.v1.TopicDescription;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

  /** Admin calls through {@code channels} to the nodes {@code metadata} knows. */
  public GrpcAdmin(ChannelPool channels, MetadataCache metadata, RetryPolicy retry) {
    this.channels = channels;
    this.metadata = metadata;
    this.retry = retry;
  }

  @Override
  public TopicInfo createTopic(String name, int partitions, int replicationFactor) {
    CreateTopicRequest request =
        CreateTopicRequest.newBuilder()
            .setName(name)
            .setPartitions(partitions)
            .setReplicationFactor(replicationFactor)
            .build();
    return toTopicInfo(call("create topic '" + name + "'", stub -> stub.createTopic(request)));
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
                        n.getNodeId(), n.getClientAddress(), n.getRaftAddress(), n.getAlive()))
            .toList(),
        cluster.getMetadataLeader());
  }

  private <T> T call(String what, Function<AdminServiceGrpc.AdminServiceBlockingStub, T> rpc) {
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
          return rpc.apply(
              AdminServiceGrpc.newBlockingStub(channels.get(address))
                  .withDeadlineAfter(remaining, TimeUnit.NANOSECONDS));
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
        topic.getPartitionsList().stream().map(GrpcAdmin::toPartitionInfo).toList());
  }

  private static PartitionInfo toPartitionInfo(PartitionDescription p) {
    return new PartitionInfo(
        p.getPartition(),
        p.getLeader(),
        List.copyOf(p.getReplicasList()),
        List.copyOf(p.getInSyncReplicasList()),
        p.getStartOffset(),
        p.getEndOffset());
  }
}
