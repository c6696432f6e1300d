package io.ordo.client.internal;

import io.grpc.CallOptions;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.FetchResult;
import io.ordo.client.GroupConfig;
import io.ordo.client.GroupConsumer;
import io.ordo.client.OffsetOutOfRangeException;
import io.ordo.client.OrdoException;
import io.ordo.client.TopicPartition;
import io.ordo.proto.v1.ClaimPartitionRequest;
import io.ordo.proto.v1.CommitOffsetRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.FetchRequest;
import io.ordo.proto.v1.GroupServiceGrpc;
import io.ordo.proto.v1.HeartbeatRequest;
import io.ordo.proto.v1.HeartbeatResponse;
import io.ordo.proto.v1.LeaveGroupRequest;
import io.ordo.proto.v1.StartFrom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The {@link GroupConsumer}. Heartbeats run on the client's scheduler, asynchronously, and only
 * record what the coordinator answered; the polling thread acts on it: it releases partitions
 * that left its assignment (telling the listener, committing if auto-commit is on, then reporting
 * them released at once), claims the new ones on their leaders, and fetches from every partition
 * it owns in parallel.
 */
public final class GroupMember implements GroupConsumer {
  /** Records one fetch of one partition returns, at most. */
  private static final int MAX_RECORDS_PER_FETCH = 500;
  /** Longest a fetch waits on the node for records, so a poll notices a rebalance in time. */
  private static final long MAX_FETCH_WAIT_MS = 500;
  /** How long a poll with nothing to read sleeps between looks at its assignment. */
  private static final long IDLE_SLEEP_MS = 50;

  private final GroupConfig config;
  private final ChannelPool channels;
  private final MetadataCache metadata;
  private final LeaderCalls leaders;
  private final ScheduledExecutorService scheduler;
  private final long requestTimeoutNanos;
  private final Consumer<AutoCloseable> onClosed;

  // Written by heartbeat callbacks, read by the polling thread.
  private volatile String memberId = "";
  private volatile long generation;
  private volatile SortedSet<TopicPartition> assigned = new TreeSet<>();
  /** Set when the coordinator no longer knows this member: every partition is lost. */
  private volatile boolean fenced;
  /** A heartbeat's answer no retry can change (a bad group name, an unknown topic): poll throws it. */
  private volatile OrdoException refused;
  private volatile long lastHeartbeatOkNanos = System.nanoTime();
  private volatile boolean closed;
  private volatile SortedSet<TopicPartition> reportedOwned = new TreeSet<>();
  private int nextNode;
  private ScheduledFuture<?> nextHeartbeat;

  /** The partitions this member owns, with where it reads next; polling thread only. */
  private final Map<TopicPartition, Owned> owned = new TreeMap<>();

  /** A partition as claimed: by which member id in which generation, the commits must say. */
  private static final class Owned {
    final String claimMember;
    final long claimGeneration;
    long position;
    long committed;

    Owned(String claimMember, long claimGeneration, long committed) {
      this.claimMember = claimMember;
      this.claimGeneration = claimGeneration;
      this.position = committed;
      this.committed = committed;
    }
  }

  public GroupMember(
      GroupConfig config,
      ChannelPool channels,
      MetadataCache metadata,
      RetryPolicy retry,
      ScheduledExecutorService scheduler,
      long requestTimeoutNanos,
      Consumer<AutoCloseable> onClosed) {
    this.config = config;
    this.channels = channels;
    this.metadata = metadata;
    this.leaders = new LeaderCalls(channels, metadata, retry, requestTimeoutNanos);
    this.scheduler = scheduler;
    this.requestTimeoutNanos = requestTimeoutNanos;
    this.onClosed = onClosed;
    heartbeat();
  }

  // ---- heartbeats ----

  private synchronized void heartbeat() {
    if (closed) {
      return;
    }
    List<String> nodes = metadata.addresses();
    String node = nodes.get(Math.floorMod(nextNode, nodes.size()));
    HeartbeatRequest request =
        HeartbeatRequest.newBuilder()
            .setGroup(config.group())
            .setMemberId(memberId)
            .addAllTopics(config.topics())
            .addAllOwned(TopicPartitionSets.toProto(reportedOwned))
            .setSessionTimeoutMs((int) config.sessionTimeout().toMillis())
            .build();
    GroupServiceGrpc.GroupServiceStub stub =
        GroupServiceGrpc.newStub(channels.get(node)).withDeadlineAfter(requestTimeoutNanos, TimeUnit.NANOSECONDS);
    Rpc.call(stub::heartbeat, request).whenComplete(this::onHeartbeat);
  }

  private synchronized void onHeartbeat(HeartbeatResponse response, Throwable error) {
    long intervalMs = config.sessionTimeout().toMillis() / 5;
    if (error == null) {
      memberId = response.getMemberId();
      generation = response.getGeneration();
      assigned = TopicPartitionSets.fromProto(response.getAssignedList());
      lastHeartbeatOkNanos = System.nanoTime();
      intervalMs = response.getHeartbeatIntervalMs();
    } else {
      OrdoException ordo = Errors.toOrdo(error);
      if (ordo.errorCode() == ErrorCode.UNKNOWN_MEMBER) {
        fenced = true;
        memberId = "";
        intervalMs = 0;
      } else if (!ordo.isRetriable() && ordo.errorCode() != ErrorCode.ERROR_CODE_UNSPECIFIED) {
        refused = ordo;
        return;
      } else {
        nextNode++; // that node may be down: ask another next time
        intervalMs = Math.min(intervalMs, 200);
      }
    }
    schedule(intervalMs);
  }

  private synchronized void schedule(long delayMs) {
    if (closed) {
      return;
    }
    if (nextHeartbeat != null) {
      nextHeartbeat.cancel(false);
    }
    nextHeartbeat = scheduler.schedule(this::heartbeat, delayMs, TimeUnit.MILLISECONDS);
  }

  // ---- polling ----

  @Override
  public List<ConsumerRecord> poll(Duration maxWait) {
    long deadline = System.nanoTime() + maxWait.toNanos();
    while (true) {
      if (refused != null) {
        throw refused;
      }
      reconcile();
      if (config.autoCommit()) {
        commit();
      }
      long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      List<ConsumerRecord> records = owned.isEmpty() ? List.of() : fetchAll(Math.max(0, Math.min(remainingMs, MAX_FETCH_WAIT_MS)));
      if (!records.isEmpty() || System.nanoTime() >= deadline) {
        return records;
      }
      if (owned.isEmpty()) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.min(IDLE_SLEEP_MS, Math.max(1, remainingMs))));
      }
    }
  }

  /** Acts on the last heartbeat's answer: release what left the assignment, claim what joined it. */
  private void reconcile() {
    boolean sessionOver = System.nanoTime() - lastHeartbeatOkNanos > config.sessionTimeout().toNanos();
    if (fenced || sessionOver) {
      // The coordinator dropped us, or will have: other members may own our partitions already.
      fenced = false;
      if (!owned.isEmpty()) {
        List<TopicPartition> lost = List.copyOf(owned.keySet());
        owned.clear();
        publishOwned();
        config.listener().onLost(lost);
      }
      return;
    }
    SortedSet<TopicPartition> target = assigned;
    List<TopicPartition> revoked = new ArrayList<>();
    for (TopicPartition tp : owned.keySet()) {
      if (!target.contains(tp)) {
        revoked.add(tp);
      }
    }
    if (!revoked.isEmpty()) {
      config.listener().onRevoked(revoked);
      if (config.autoCommit()) {
        commitOwned(revoked);
      }
      revoked.forEach(owned::remove);
      publishOwned();
      schedule(0); // tell the coordinator now, so the partitions move without waiting a heartbeat
    }
    List<TopicPartition> claimed = new ArrayList<>();
    String member = memberId;
    long claimGeneration = generation;
    for (TopicPartition tp : target) {
      if (owned.containsKey(tp) || member.isEmpty()) {
        continue;
      }
      try {
        long committed = claim(tp, member, claimGeneration);
        owned.put(tp, new Owned(member, claimGeneration, committed));
        claimed.add(tp);
      } catch (OrdoException e) {
        // STALE_GENERATION: a later assignment is on its way. Anything else: try again next poll.
      }
    }
    if (!claimed.isEmpty()) {
      publishOwned();
      config.listener().onAssigned(claimed);
    }
  }

  private long claim(TopicPartition tp, String member, long claimGeneration) {
    ClaimPartitionRequest request =
        ClaimPartitionRequest.newBuilder()
            .setGroup(config.group())
            .setTopic(tp.topic())
            .setPartition(tp.partition())
            .setMemberId(member)
            .setGeneration(claimGeneration)
            .setStartFrom(config.fromLatest() ? StartFrom.START_FROM_LATEST : StartFrom.START_FROM_EARLIEST)
            .build();
    return leaders.call(tp.topic(), tp.partition(), "claim " + tp + " for group '" + config.group() + "'",
        (channel, timeoutNanos) ->
            GroupServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
                .claimPartition(request))
        .getCommittedOffset();
  }

  private void publishOwned() {
    reportedOwned = new TreeSet<>(owned.keySet());
  }

  /** One fetch per owned partition, all at once; each answers when it has records or after {@code waitMs}. */
  private List<ConsumerRecord> fetchAll(long waitMs) {
    Map<TopicPartition, CompletableFuture<FetchResult>> fetches = new HashMap<>();
    owned.forEach((tp, state) -> fetches.put(tp, fetch(tp, state.position, waitMs)));
    List<ConsumerRecord> out = new ArrayList<>();
    fetches.forEach((tp, future) -> {
      try {
        FetchResult result = future.join();
        Owned state = owned.get(tp);
        out.addAll(result.records());
        state.position = result.nextOffset();
      } catch (RuntimeException e) {
        OrdoException error = Errors.toOrdo(e.getCause() == null ? e : e.getCause());
        if (error instanceof OffsetOutOfRangeException range && owned.get(tp).position < range.startOffset()) {
          // Retention deleted what the group had not read yet: go on from the oldest record left (Kafka's
          // auto.offset.reset=earliest).
          owned.get(tp).position = range.startOffset();
          return;
        }
        metadata.onError(tp.topic(), tp.partition(), error); // the next poll asks the new leader
      }
    });
    return out;
  }

  private CompletableFuture<FetchResult> fetch(TopicPartition tp, long offset, long waitMs) {
    FetchRequest request =
        FetchRequest.newBuilder()
            .setTopic(tp.topic())
            .setPartition(tp.partition())
            .setOffset(offset)
            .setMaxRecords(MAX_RECORDS_PER_FETCH)
            .setMaxWaitMs((int) waitMs)
            .setStoredBatches(true)
            .build();
    return metadata.leader(tp.topic(), tp.partition()).thenCompose(leader ->
        Rpc.call(
            (FetchRequest fetch, StreamObserver<FetchResult> answer) ->
                ClientCalls.asyncUnaryCall(
                    channels.get(leader).newCall(
                        FetchMethods.fetch(tp.topic(), tp.partition()),
                        CallOptions.DEFAULT.withDeadlineAfter(
                            requestTimeoutNanos + TimeUnit.MILLISECONDS.toNanos(waitMs), TimeUnit.NANOSECONDS)),
                    fetch,
                    answer),
            request));
  }

  // ---- commits ----

  @Override
  public void commit() {
    commitOwned(List.copyOf(owned.keySet()));
  }

  @Override
  public void commit(Map<TopicPartition, Long> nextOffsets) {
    OrdoException failure = null;
    for (Map.Entry<TopicPartition, Long> e : nextOffsets.entrySet()) {
      Owned state = owned.get(e.getKey());
      if (state == null) {
        throw new IllegalArgumentException("this member does not own " + e.getKey() + "; it owns " + owned.keySet());
      }
      failure = commitOne(e.getKey(), state, e.getValue(), failure);
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void commitOwned(Collection<TopicPartition> partitions) {
    OrdoException failure = null;
    for (TopicPartition tp : partitions) {
      Owned state = owned.get(tp);
      if (state != null && state.position > state.committed) {
        failure = commitOne(tp, state, state.position, failure);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Commits one partition; a partition lost meanwhile is dropped, and the first failure kept. */
  private OrdoException commitOne(TopicPartition tp, Owned state, long offset, OrdoException failure) {
    CommitOffsetRequest request =
        CommitOffsetRequest.newBuilder()
            .setGroup(config.group())
            .setTopic(tp.topic())
            .setPartition(tp.partition())
            .setMemberId(state.claimMember)
            .setGeneration(state.claimGeneration)
            .setOffset(offset)
            .build();
    try {
      state.committed =
          leaders.call(tp.topic(), tp.partition(), "commit " + tp + " for group '" + config.group() + "'",
              (channel, timeoutNanos) ->
                  GroupServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
                      .commitOffset(request))
              .getCommittedOffset();
      return failure;
    } catch (OrdoException e) {
      // After an attempt with an unknown outcome, a refusal arrives as OUTCOME_UNKNOWN around it.
      ErrorCode code = e.errorCode() == ErrorCode.OUTCOME_UNKNOWN && e.getCause() instanceof OrdoException refusal
          ? refusal.errorCode()
          : e.errorCode();
      if (code == ErrorCode.STALE_GENERATION || code == ErrorCode.UNKNOWN_MEMBER) {
        owned.remove(tp);
        publishOwned();
        config.listener().onLost(List.of(tp));
      }
      return failure == null ? e : failure;
    }
  }

  @Override
  public Set<TopicPartition> assignment() {
    return Set.copyOf(owned.keySet());
  }

  @Override
  public String memberId() {
    return memberId;
  }

  @Override
  public void close() {
    try {
      if (config.autoCommit()) {
        commit();
      }
    } finally {
      String id;
      synchronized (this) {
        closed = true;
        if (nextHeartbeat != null) {
          nextHeartbeat.cancel(false);
        }
        id = memberId;
      }
      if (!id.isEmpty()) {
        try {
          GroupServiceGrpc.newBlockingStub(channels.get(metadata.addresses().get(Math.floorMod(nextNode, metadata.addresses().size()))))
              .withDeadlineAfter(requestTimeoutNanos, TimeUnit.NANOSECONDS)
              .leaveGroup(LeaveGroupRequest.newBuilder().setGroup(config.group()).setMemberId(id).build());
        } catch (StatusRuntimeException e) {
          // Its session ends on its own; the partitions move then.
        }
      }
      onClosed.accept(this);
    }
  }
}
