package io.ordo.it.cluster;

import static org.awaitility.Awaitility.await;

import io.ordo.client.ClusterInfo;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.FetchResult;
import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.PartitionInfo;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import io.ordo.client.TopicInfo;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.LocalReplicasRequest;
import io.ordo.proto.v1.LocalReplicasResponse;
import io.ordo.proto.v1.NodeServiceGrpc;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.ReplicaStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Conditions tests wait for, each with a deadline, and reading a partition end to end. */
public final class ClusterChecks {
  private ClusterChecks() {}

  /**
   * Waits until every node answers, the metadata group has a leader and the cluster's feature
   * level has risen to what every node supports (a fresh cluster refuses newer features until then).
   */
  public static void awaitHealthy(OrdoClient client, int nodes) {
    await("cluster healthy")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(() -> {
          ClusterInfo info = client.admin().describeCluster();
          return info.metadataLeader() != 0
              && info.nodes().size() == nodes
              && info.nodes().stream().allMatch(n -> n.alive())
              && !info.featureLevelRising();
        });
  }

  /** Creates the queue group, waiting out FEATURE_NOT_ENABLED while a fresh cluster finalizes its level. */
  public static void createQueueGroup(OrdoClient client, String group, String topic, QueuePolicy policy) {
    await("queue groups enabled")
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptionsMatching(e -> e instanceof OrdoException o && o.errorCode() == ErrorCode.FEATURE_NOT_ENABLED)
        .until(() -> {
          client.admin().createQueueGroup(group, topic, policy);
          return true;
        });
  }

  /** Produces every record of {@code records} and waits until each is acknowledged. */
  public static void produceAll(OrdoClient client, List<ProducerRecord> records) {
    List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    try (Producer producer = client.producer()) {
      records.forEach(r -> sent.add(producer.send(r)));
      sent.forEach(CompletableFuture::join);
    }
  }

  /**
   * Waits until no partition of {@code topic} is moving and each has a leader that hears from
   * every one of its replicas: the state a healed cluster must return to.
   */
  public static TopicInfo awaitFullyReplicated(OrdoClient client, String topic, Duration atMost) {
    return await("every replica of " + topic + " in sync, no move under way")
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () -> client.admin().describeTopic(topic),
            t -> t.partitions().stream().allMatch(p -> !p.leaderless() && !p.reassigning()
                && new HashSet<>(p.inSyncReplicas()).equals(new HashSet<>(p.replicas()))));
  }

  /** Waits until every partition of {@code topic} has a leader; returns the description. */
  public static TopicInfo awaitLeaders(OrdoClient client, String topic) {
    return await("leaders of " + topic)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(() -> client.admin().describeTopic(topic),
            t -> t.partitions().stream().allMatch(p -> p.leader() != 0));
  }

  /** The first value of the record's header {@code key}, as UTF-8 text. */
  public static Optional<String> header(ConsumerRecord r, String key) {
    return r.headers().stream()
        .filter(h -> h.key().equals(key))
        .map(h -> new String(h.value(), StandardCharsets.UTF_8))
        .findFirst();
  }

  /** Every record of the partition from its start to its current end, following the leader. */
  public static List<ConsumerRecord> readAll(OrdoClient client, String topic, int partition) {
    PartitionInfo info =
        await("end offset of " + topic + "/" + partition)
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(() -> client.admin().describeTopic(topic).partitions().get(partition), p -> p.leader() != 0);
    List<ConsumerRecord> out = new ArrayList<>();
    long offset = info.startOffset();
    while (offset < info.endOffset()) {
      FetchResult result =
          client.consumer().fetch(topic, partition, offset, 5_000, 8 * 1024 * 1024, Duration.ZERO);
      out.addAll(result.records());
      offset = result.nextOffset();
    }
    return out;
  }

  /**
   * The value of {@code series} (a metric name with its labels as Prometheus prints them, e.g.
   * {@code ordo_grpc_calls}) in what the node serving metrics at {@code metricsAddress} reports now;
   * empty if it reports no such series.
   */
  public static OptionalDouble metric(String metricsAddress, String series) {
    try {
      String body = HttpClient.newHttpClient()
          .send(HttpRequest.newBuilder(URI.create("http://" + metricsAddress + "/metrics")).build(), HttpResponse.BodyHandlers.ofString())
          .body();
      return body.lines()
          .filter(line -> line.startsWith(series + " "))
          .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1).trim()))
          .findFirst();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The HTTP status of the node's /health on its metrics port: 200 while it serves clients, else 503. */
  public static int httpHealth(String metricsAddress) {
    try {
      return HttpClient.newHttpClient()
          .send(HttpRequest.newBuilder(URI.create("http://" + metricsAddress + "/health")).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The node's gRPC health status (service ""). */
  public static ServingStatus health(String clientAddress) {
    return health(clientAddress, "");
  }

  /** The node's gRPC health status of {@code service}. */
  public static ServingStatus health(String clientAddress, String service) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(clientAddress).usePlaintext().build();
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    } finally {
      channel.shutdownNow();
    }
  }

  /** What the node at {@code clientAddress} reports of its own partition replicas (NodeService). */
  public static LocalReplicasResponse localReplicas(String clientAddress) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(clientAddress).usePlaintext().build();
    try {
      return NodeServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .localReplicas(LocalReplicasRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
  }

  /** Node {@code node}'s own report on its replica of partition 0 of {@code topic}, if it has one. */
  public static Optional<ReplicaStatus> replicaOf(OrdoClient client, ProcessCluster cluster, int node, String topic) {
    return replicaOf(client, cluster, node, topic, 0);
  }

  /** Node {@code node}'s replica of {@code topic}/{@code partition}, if it has one. */
  public static Optional<ReplicaStatus> replicaOf(OrdoClient client, ProcessCluster cluster, int node, String topic, int partition) {
    long topicId = client.admin().describeTopic(topic).topicId();
    return localReplicas(cluster.clientAddress(node)).getReplicasList().stream()
        .filter(r -> r.getTopicId() == topicId && r.getPartition() == partition)
        .findFirst();
  }
}
