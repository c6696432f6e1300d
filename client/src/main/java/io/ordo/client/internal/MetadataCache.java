package io.ordo.client.internal;

import io.grpc.Status;
import io.ordo.client.NotLeaderException;
import io.ordo.client.OrdoException;
import io.ordo.client.UnknownTopicException;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.ClusterDescription;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.DescribeTopicRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.NodeDescription;
import io.ordo.proto.v1.PartitionDescription;
import io.ordo.proto.v1.TopicDescription;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the client knows about topics: each one's partition count and the client address of each
 * partition's leader, plus the addresses of the nodes it has heard of.
 *
 * <p>An entry is filled by DescribeTopic and DescribeCluster calls to every known node at once,
 * and kept until an error says it is stale: {@link #onError} drops the topic's entry on
 * NOT_LEADER, LEADER_NOT_AVAILABLE or a connection error, or moves the partition's leader directly
 * when a NOT_LEADER answer names the new leader's address. Concurrent refreshes of one topic share
 * one round of calls. Thread-safe; never blocks.
 *
 * <p>Entries age on the client's scheduler, not on the lookups: a sweep looks again at each topic
 * used since its entry was filled once the entry is the max age old, and forgets one unused for
 * that long. A lookup only notes its use. When the lookups checked the age themselves, the first
 * stale one, a minute into a producer's life, took a branch its compiled code had never seen and
 * sent the producer's send path back to the interpreter for a recompile: a stall of up to half a
 * second on a busy 2-core machine.
 */
public final class MetadataCache {
  private final List<String> bootstrap;
  private final ChannelPool channels;
  private final long requestTimeoutNanos;
  private final long maxAgeNanos;
  private final ConcurrentHashMap<String, TopicMetadata> topics = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CompletableFuture<TopicMetadata>> refreshing =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Integer, String> nodeAddresses = new ConcurrentHashMap<>();

  /**
   * A cache that starts from the {@code bootstrap} addresses and, on {@code scheduler}, looks
   * again at a topic it uses once its entry is {@code maxAgeNanos} old (partitions may have been
   * added, leaders moved).
   */
  public MetadataCache(
      List<String> bootstrap, ChannelPool channels, long requestTimeoutNanos, long maxAgeNanos,
      ScheduledExecutorService scheduler) {
    this.bootstrap = List.copyOf(bootstrap);
    this.channels = channels;
    this.requestTimeoutNanos = requestTimeoutNanos;
    this.maxAgeNanos = maxAgeNanos;
    // A quarter of the age between sweeps: an entry is looked at again within 1.25 max ages.
    long sweepNanos = Math.max(1, maxAgeNanos / 4);
    scheduler.scheduleWithFixedDelay(this::sweep, sweepNanos, sweepNanos, TimeUnit.NANOSECONDS);
  }

  /** A topic's partition count and partition leaders at the time of a refresh. Immutable. */
  public static final class TopicMetadata {
    private final String topic;
    private final String[] leaderAddresses;
    private final long refreshedAtNanos;
    /** The last lookup's time; shared with the copies {@link #withLeader} makes. */
    private final AtomicLong usedAtNanos;

    TopicMetadata(String topic, String[] leaderAddresses, long refreshedAtNanos, AtomicLong usedAtNanos) {
      this.topic = topic;
      this.leaderAddresses = leaderAddresses;
      this.refreshedAtNanos = refreshedAtNanos;
      this.usedAtNanos = usedAtNanos;
    }

    /** The number of partitions. */
    public int partitionCount() {
      return leaderAddresses.length;
    }

    /** The number of partitions whose leader is known. */
    int knownLeaders() {
      int known = 0;
      for (String address : leaderAddresses) {
        if (address != null) {
          known++;
        }
      }
      return known;
    }

    /**
     * The client address of the partition's leader.
     *
     * @throws UnknownTopicException if the topic has no such partition
     * @throws OrdoException with LEADER_NOT_AVAILABLE when no leader is known
     */
    public String leaderAddress(int partition) {
      if (partition < 0 || partition >= leaderAddresses.length) {
        throw new UnknownTopicException(
            ErrorCode.UNKNOWN_PARTITION,
            "topic '" + topic + "' has " + leaderAddresses.length + " partitions, not "
                + partition,
            null);
      }
      String address = leaderAddresses[partition];
      if (address == null) {
        throw new OrdoException(
            ErrorCode.LEADER_NOT_AVAILABLE,
            Status.Code.UNAVAILABLE,
            "no leader known for " + topic + "/" + partition,
            null);
      }
      return address;
    }

    TopicMetadata withLeader(int partition, String address) {
      String[] leaders = leaderAddresses.clone();
      leaders[partition] = address;
      return new TopicMetadata(topic, leaders, refreshedAtNanos, usedAtNanos);
    }
  }

  /** The cached metadata of {@code topic}, or null if there is none. */
  public TopicMetadata cached(String topic) {
    TopicMetadata cached = topics.get(topic);
    if (cached != null) {
      // Opaque: the sweep needs the time eventually, not ordered with anything; a plain store on x86.
      cached.usedAtNanos.setOpaque(System.nanoTime());
    }
    return cached;
  }

  /**
   * Looks again, in the background, at each topic used since its entry, once the max age old, was
   * filled (the entry serves until the new one is in; a failed look leaves it for the next sweep);
   * forgets the others of that age, so the next use looks them up.
   */
  private void sweep() {
    long now = System.nanoTime();
    topics.forEach((topic, entry) -> {
      if (now - entry.refreshedAtNanos < maxAgeNanos) {
        return;
      }
      if (entry.usedAtNanos.getOpaque() - entry.refreshedAtNanos > 0) {
        refresh(topic);
      } else {
        topics.remove(topic, entry);
      }
    });
  }

  /** The metadata of {@code topic}: the cached entry, or a refresh. */
  public CompletableFuture<TopicMetadata> topic(String topic) {
    TopicMetadata cached = cached(topic);
    return cached != null ? CompletableFuture.completedFuture(cached) : refresh(topic);
  }

  /** The client address of the partition's current leader, as {@link TopicMetadata} says. */
  public CompletableFuture<String> leader(String topic, int partition) {
    return topic(topic).thenApply(metadata -> metadata.leaderAddress(partition));
  }

  /**
   * Asks the cluster for {@code topic}'s metadata now, unless a refresh is already under way (then
   * returns that one). Fails with {@link UnknownTopicException} if the topic does not exist.
   */
  public CompletableFuture<TopicMetadata> refresh(String topic) {
    CompletableFuture<TopicMetadata> created = new CompletableFuture<>();
    CompletableFuture<TopicMetadata> running = refreshing.putIfAbsent(topic, created);
    if (running != null) {
      return running;
    }
    CompletableFuture<TopicMetadata> described;
    try {
      described = describe(topic, addresses());
    } catch (RuntimeException e) {
      // E.g. the client closed: fail this refresh rather than leave it registered forever.
      described = CompletableFuture.failedFuture(e);
    }
    described
        .whenComplete(
            (metadata, error) -> {
              if (metadata != null) {
                topics.put(topic, metadata);
              }
              refreshing.remove(topic, created);
              if (error != null) {
                created.completeExceptionally(error);
              } else {
                created.complete(metadata);
              }
            });
    return created;
  }

  /**
   * Updates the cache after a call about {@code topic}/{@code partition} failed with {@code
   * error}: follows a leader hint, or forgets the topic so the next use refreshes it.
   */
  public void onError(String topic, int partition, OrdoException error) {
    if (error instanceof NotLeaderException hint && !hint.leaderAddress().isEmpty()) {
      topics.computeIfPresent(
          topic,
          (t, metadata) ->
              partition < metadata.partitionCount()
                  ? metadata.withLeader(partition, hint.leaderAddress())
                  : metadata);
      if (hint.leaderNodeId() > 0) {
        nodeAddresses.put(hint.leaderNodeId(), hint.leaderAddress());
      }
      return;
    }
    // An overloaded leader is still the leader; every other retriable error may mean it moved.
    boolean leaderMayHaveMoved =
        error.isRetriable() && error.errorCode() != ErrorCode.OVERLOADED;
    if (leaderMayHaveMoved || Errors.isNotFound(error)) {
      topics.remove(topic);
    }
  }

  /**
   * The addresses to try for calls any node answers: the bootstrap list first, then the other
   * nodes the cluster has described, so the client keeps working when bootstrap nodes are gone.
   */
  public List<String> addresses() {
    Set<String> addresses = new LinkedHashSet<>(bootstrap);
    addresses.addAll(nodeAddresses.values());
    return new ArrayList<>(addresses);
  }

  /**
   * Asks every node at once, so a node that is down, frozen or cut off from the rest cannot hold a
   * refresh up until its deadline. The first answer that knows every partition's leader wins; a
   * definite answer (no such topic) ends the search; otherwise, once all have answered or failed,
   * the answer knowing the most leaders.
   */
  private CompletableFuture<TopicMetadata> describe(String topic, List<String> addresses) {
    CompletableFuture<TopicMetadata> result = new CompletableFuture<>();
    if (addresses.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalStateException("no node address to ask"));
    }
    AtomicInteger outstanding = new AtomicInteger(addresses.size());
    AtomicReference<TopicMetadata> best = new AtomicReference<>();
    AtomicReference<OrdoException> lastError = new AtomicReference<>();
    for (String address : addresses) {
      describeAt(topic, address).whenComplete((metadata, error) -> {
        if (error == null) {
          TopicMetadata better =
              best.accumulateAndGet(metadata, (a, b) -> a == null || b.knownLeaders() > a.knownLeaders() ? b : a);
          if (better.knownLeaders() == better.partitionCount()) {
            result.complete(better);
          }
        } else {
          OrdoException ordo = Errors.toOrdo(error);
          lastError.set(ordo);
          if (!ordo.isRetriable()) {
            result.completeExceptionally(ordo);
          }
        }
        if (outstanding.decrementAndGet() == 0 && !result.isDone()) {
          if (best.get() != null) {
            result.complete(best.get());
          } else {
            OrdoException last = lastError.get();
            result.completeExceptionally(new OrdoException(
                last.errorCode(),
                last.statusCode(),
                "no node answered for topic '" + topic + "' (tried " + addresses + "): " + last.getMessage(),
                last));
          }
        }
      });
    }
    return result;
  }

  private CompletableFuture<TopicMetadata> describeAt(String topic, String address) {
    AdminServiceGrpc.AdminServiceStub stub =
        AdminServiceGrpc.newStub(channels.get(address)).withDeadlineAfter(requestTimeoutNanos, TimeUnit.NANOSECONDS);
    CompletableFuture<ClusterDescription> cluster =
        Rpc.call(stub::describeCluster, DescribeClusterRequest.getDefaultInstance());
    CompletableFuture<TopicDescription> description =
        Rpc.call(stub::describeTopic, DescribeTopicRequest.newBuilder().setName(topic).build());
    return description.thenCombine(cluster, this::toMetadata);
  }

  private TopicMetadata toMetadata(TopicDescription topic, ClusterDescription cluster) {
    for (NodeDescription node : cluster.getNodesList()) {
      if (!node.getClientAddress().isEmpty()) {
        nodeAddresses.put(node.getNodeId(), node.getClientAddress());
      }
    }
    String[] leaders = new String[topic.getPartitionsCount()];
    for (PartitionDescription partition : topic.getPartitionsList()) {
      int p = partition.getPartition();
      if (p < 0 || p >= leaders.length) {
        throw new OrdoException(
            ErrorCode.INTERNAL_ERROR,
            Status.Code.INTERNAL,
            "topic '" + topic.getName() + "' described with partition " + p + " of "
                + leaders.length,
            null);
      }
      leaders[p] = partition.getLeader() == 0 ? null : nodeAddresses.get(partition.getLeader());
    }
    long now = System.nanoTime();
    return new TopicMetadata(topic.getName(), leaders, now, new AtomicLong(now));
  }
}
