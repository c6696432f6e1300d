package io.ordo.client.internal;

import io.grpc.Status;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoException;
import io.ordo.client.QueueConsumer;
import io.ordo.client.QueuedRecord;
import io.ordo.proto.v1.ConsumeOpen;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.LeasedRecord;
import io.ordo.proto.v1.QueueServiceGrpc;
import io.ordo.proto.v1.RecordSettlement;
import io.ordo.proto.v1.SettleAction;
import io.ordo.proto.v1.SettleOutcome;
import io.ordo.proto.v1.SettleRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The {@link QueueConsumer}. Keeps a Consume stream open to each partition's leader, which leases
 * records ahead as this consumer's credit allows (up to the last receive's size per partition), so
 * a receive mostly takes records already here instead of waiting for a Raft round. Settlements go
 * on the same streams, every partition's at once; one whose stream ends before the answer is
 * retried with a unary Settle, which follows the leader within the request timeout (repeating a
 * settlement is safe). A stream that ends is opened again after a back-off, to the partition's
 * leader then. The consumer remembers what it received and has not settled, prefetched records
 * too, to release it on close.
 */
public final class QueueMember implements QueueConsumer, QueueStream.Listener {
  /** How often a receive that is waiting looks after its streams: reopens ended ones, drops silent ones. */
  private static final long MAINTENANCE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /**
   * A stream with credit that heard nothing for this long, not even the leader's heartbeat (every
   * 5 s), is taken for dead (a node cut off without a reset) and opened again.
   */
  private static final long SILENT_STREAM_NANOS = TimeUnit.SECONDS.toNanos(15);
  /**
   * How long no partition may have a stream before a receive fails with why: a leader change
   * ends a stream for a moment, which a receive waits out instead of failing.
   */
  private static final long UNREACHABLE_NANOS = TimeUnit.SECONDS.toNanos(2);
  /** How long close waits for its streams to answer what they have and end. */
  private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** Settlements sent in one call, at most: a call stays far inside the message limit. */
  private static final int MAX_SETTLEMENTS_PER_CALL = 1_000;
  /** Settlements sent and not answered yet, at most: past it a settle waits for room, then fails OVERLOADED. */
  static final int MAX_UNANSWERED_SETTLEMENTS = 20_000;

  private final String group;
  private final String topic;
  private final String consumerId = UUID.randomUUID().toString();
  private final ChannelPool channels;
  private final MetadataCache metadata;
  private final RetryPolicy retry;
  private final LeaderCalls leaders;
  private final long requestTimeoutNanos;
  /** Runs the unary settles that stand in for a stream's answer: they block. */
  private final Executor blocking;
  private final Consumer<AutoCloseable> onClosed;
  private final ReentrantLock lock = new ReentrantLock();
  /** Signalled when records arrive, a stream ends or a leader is found. */
  private final Condition changed = lock.newCondition();
  // Guarded by lock.
  /** Received and not settled, by partition and offset: prefetched and handed out alike. */
  private final Map<String, QueuedRecord> unsettled = new LinkedHashMap<>();
  /** Prefetched, not handed out yet, in arrival order. */
  private final ArrayDeque<QueuedRecord> arrived = new ArrayDeque<>();
  private final Map<Integer, PartitionStreams> partitions = new HashMap<>();
  /** Why the last stream ended or could not open. */
  private OrdoException lastFailure;
  /** A stream's end that retrying will not mend (no such group, say): the next receive throws it. */
  private OrdoException fatal;
  /** Since when (System.nanoTime) no partition has had a stream, as receives saw it; 0 while one has. */
  private long noStreamSinceNanos;
  /** Settlements sent and not answered yet. */
  private int unanswered;

  /** One partition's stream, or when to open it again and why it ended. */
  private static final class PartitionStreams {
    QueueStream stream;
    boolean lookingUp;
    int failures;
    long reopenAtNanos;
  }

  public QueueMember(
      String group,
      String topic,
      ChannelPool channels,
      MetadataCache metadata,
      RetryPolicy retry,
      long requestTimeoutNanos,
      Executor blocking,
      Consumer<AutoCloseable> onClosed) {
    this.group = group;
    this.topic = topic;
    this.channels = channels;
    this.metadata = metadata;
    this.retry = retry;
    this.leaders = new LeaderCalls(channels, metadata, retry, requestTimeoutNanos);
    this.requestTimeoutNanos = requestTimeoutNanos;
    this.blocking = blocking;
    this.onClosed = onClosed;
  }

  @Override
  public List<QueuedRecord> receive(int maxRecords, Duration maxWait) {
    if (maxRecords < 1) {
      throw new IllegalArgumentException("maxRecords must be positive, not " + maxRecords);
    }
    long deadline = System.nanoTime() + maxWait.toNanos();
    int partitionCount = Errors.await(metadata.topic(topic), requestTimeoutNanos, "look up topic '" + topic + "'").partitionCount();
    int wanted = Math.min(maxRecords, MAX_SETTLEMENTS_PER_CALL);
    lock.lock();
    try {
      while (true) {
        // The records wanted, shared among the partitions: at most one more per partition is leased.
        int perPartition = (Math.max(0, wanted - arrived.size()) + partitionCount - 1) / partitionCount;
        for (int p = 0; p < partitionCount; p++) {
          lookAfter(p, perPartition);
        }
        if (fatal != null) {
          OrdoException error = fatal;
          fatal = null;
          throw error;
        }
        List<QueuedRecord> out = takeArrived(maxRecords);
        if (!out.isEmpty()) {
          return out;
        }
        long now = System.nanoTime();
        if (partitions.values().stream().anyMatch(s -> s.stream != null)) {
          noStreamSinceNanos = 0;
        } else if (noStreamSinceNanos == 0) {
          noStreamSinceNanos = now;
        }
        long left = deadline - now;
        if (left <= 0) {
          if (lastFailure != null && noStreamSinceNanos != 0 && now - noStreamSinceNanos >= UNREACHABLE_NANOS) {
            throw lastFailure; // no partition could be asked at all, for a while
          }
          return out;
        }
        changed.awaitNanos(Math.min(left, MAINTENANCE_INTERVAL_NANOS));
      }
    } catch (InterruptedException e) {
      throw interrupted("receive", e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Opens the partition's stream if it has none and its back-off is over, drops it if it went
   * silent, and grants it credit up to {@code wanted}.
   */
  private void lookAfter(int partition, int wanted) {
    PartitionStreams p = partitions.computeIfAbsent(partition, k -> new PartitionStreams());
    if (p.stream != null && p.stream.silentFor(SILENT_STREAM_NANOS)) {
      p.stream.cancel("heard nothing from the partition leader, not even a heartbeat");
      p.stream = null;
    }
    if (p.stream == null) {
      if (!p.lookingUp && System.nanoTime() >= p.reopenAtNanos) {
        p.lookingUp = true;
        metadata.leader(topic, partition).whenComplete((leader, error) -> open(partition, leader, error));
      }
      return;
    }
    if (wanted > 0) {
      p.stream.topUp(wanted);
    }
  }

  private void open(int partition, String leader, Throwable lookupError) {
    lock.lock();
    try {
      PartitionStreams p = partitions.get(partition);
      p.lookingUp = false;
      if (lookupError != null) {
        failed(partition, p, Errors.toOrdo(lookupError));
      } else {
        p.stream = QueueStream.open(channels.get(leader), ConsumeOpen.newBuilder()
            .setGroup(group)
            .setTopic(topic)
            .setPartition(partition)
            .setConsumer(consumerId)
            .build(), this);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void onRecords(QueueStream from, List<LeasedRecord> leased) {
    List<QueuedRecord> records = new ArrayList<>(leased.size());
    for (LeasedRecord l : leased) {
      records.add(new QueuedRecord(Records.toConsumerRecord(topic, from.partition, l.getRecord()), l.getDeliveries(), l.getLeaseEndsAtMs()));
    }
    lock.lock();
    try {
      for (QueuedRecord r : records) {
        unsettled.put(key(r), r);
        arrived.add(r);
      }
      PartitionStreams p = partitions.get(from.partition);
      if (p != null && p.stream == from) {
        p.failures = 0;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void onEnded(QueueStream stream, OrdoException error) {
    lock.lock();
    try {
      PartitionStreams p = partitions.get(stream.partition);
      if (p != null && p.stream == stream) {
        p.stream = null;
        failed(stream.partition, p, error);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The partition's stream ended or could not open: try again after a back-off; a receive fails if it is no use. */
  private void failed(int partition, PartitionStreams p, OrdoException error) {
    metadata.onError(topic, partition, error);
    lastFailure = error;
    // Only a node's own refusal is final; a stream cut mid-flight (a node killed: UNKNOWN,
    // "channel closed") carries no Ordo code and is retried like any lost connection.
    if (!error.isRetriable() && error.errorCode() != ErrorCode.ERROR_CODE_UNSPECIFIED) {
      fatal = error;
    }
    p.reopenAtNanos = System.nanoTime() + retry.backoffNanos(++p.failures);
  }

  /** Up to {@code max} prefetched records, in arrival order. */
  private List<QueuedRecord> takeArrived(int max) {
    List<QueuedRecord> out = new ArrayList<>();
    while (out.size() < max && !arrived.isEmpty()) {
      out.add(arrived.poll());
    }
    return out;
  }

  @Override
  public SettleOutcome ack(QueuedRecord record) {
    return settle(record, SettleAction.SETTLE_ACK, Duration.ZERO, "");
  }

  @Override
  public SettleOutcome nack(QueuedRecord record, Duration delay, String reason) {
    return settle(record, SettleAction.SETTLE_NACK, delay, reason);
  }

  @Override
  public SettleOutcome renew(QueuedRecord record) {
    return settle(record, SettleAction.SETTLE_RENEW, Duration.ZERO, "");
  }

  @Override
  public SettleOutcome release(QueuedRecord record) {
    return settle(record, SettleAction.SETTLE_RELEASE, Duration.ZERO, "");
  }

  @Override
  public SettleOutcome reject(QueuedRecord record, String reason) {
    return settle(record, SettleAction.SETTLE_REJECT, Duration.ZERO, reason);
  }

  @Override
  public List<SettleOutcome> ackAll(List<QueuedRecord> records) {
    return settleAll(records, SettleAction.SETTLE_ACK);
  }

  @Override
  public List<SettleOutcome> nackAll(List<QueuedRecord> records, Duration delay, String reason) {
    return await(nackAllAsync(records, delay, reason));
  }

  @Override
  public CompletableFuture<List<SettleOutcome>> ackAllAsync(List<QueuedRecord> records) {
    return settleAsync(records, records.stream().map(r -> settlement(r, SettleAction.SETTLE_ACK).build()).toList());
  }

  @Override
  public CompletableFuture<List<SettleOutcome>> nackAllAsync(List<QueuedRecord> records, Duration delay, String reason) {
    return settleAsync(records, records.stream()
        .map(r -> settlement(r, SettleAction.SETTLE_NACK).setDelayMs(delay.toMillis()).setReason(reason).build())
        .toList());
  }

  private SettleOutcome settle(QueuedRecord record, SettleAction action, Duration delay, String reason) {
    return await(settleAsync(
            List.of(record), List.of(settlement(record, action).setDelayMs(delay.toMillis()).setReason(reason).build())))
        .get(0);
  }

  private List<SettleOutcome> settleAll(List<QueuedRecord> records, SettleAction action) {
    return await(settleAsync(records, records.stream().map(r -> settlement(r, action).build()).toList()));
  }

  private static <T> T await(CompletableFuture<T> answer) {
    try {
      return answer.get();
    } catch (ExecutionException e) {
      throw Errors.toOrdo(e);
    } catch (InterruptedException e) {
      throw interrupted("settle", e);
    }
  }

  /** Keeps the thread's interrupt and says what it cut short. */
  private static OrdoException interrupted(String what, InterruptedException e) {
    Thread.currentThread().interrupt();
    return new OrdoException(ErrorCode.ERROR_CODE_UNSPECIFIED, Status.Code.CANCELLED, what + " interrupted", e);
  }

  /**
   * Settles {@code records} as {@code settlements} say (one each, in order): every partition's
   * settlements go out on its stream at once, up to 1,000 a message (a message is one Raft entry),
   * without waiting, so the partitions' Raft rounds overlap with each other and with receiving.
   * The records are no longer this consumer's to release from then on (but a renewed one is).
   */
  private CompletableFuture<List<SettleOutcome>> settleAsync(List<QueuedRecord> records, List<RecordSettlement> settlements) {
    Map<Integer, List<Integer>> byPartition = new TreeMap<>();
    for (int i = 0; i < records.size(); i++) {
      byPartition.computeIfAbsent(records.get(i).record().partition(), p -> new ArrayList<>()).add(i);
    }
    List<Chunk> chunks = new ArrayList<>();
    lock.lock();
    try {
      awaitRoom(records.size());
      unanswered += records.size();
      for (int i = 0; i < records.size(); i++) {
        if (settlements.get(i).getAction() != SettleAction.SETTLE_RENEW) {
          unsettled.remove(key(records.get(i)));
        }
      }
      byPartition.forEach((partition, indexes) -> {
        PartitionStreams p = partitions.get(partition);
        QueueStream stream = p == null || p.stream == null || p.stream.isEnded() ? null : p.stream;
        for (int from = 0; from < indexes.size(); from += MAX_SETTLEMENTS_PER_CALL) {
          List<Integer> chunk = indexes.subList(from, Math.min(indexes.size(), from + MAX_SETTLEMENTS_PER_CALL));
          List<RecordSettlement> sent = chunk.stream().map(settlements::get).toList();
          chunks.add(new Chunk(partition, chunk, sent, stream, stream == null ? null : stream.settle(sent)));
        }
      });
    } catch (OrdoException e) {
      return CompletableFuture.failedFuture(e);
    } catch (InterruptedException e) {
      return CompletableFuture.failedFuture(interrupted("settle", e));
    } finally {
      lock.unlock();
    }
    SettleOutcome[] outcomes = new SettleOutcome[records.size()];
    CompletableFuture<?>[] answers = chunks.stream()
        .map(chunk -> answer(chunk).thenAccept(answered -> {
          for (int j = 0; j < chunk.indexes().size(); j++) {
            outcomes[chunk.indexes().get(j)] = answered.get(j);
          }
        }))
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(answers)
        .whenComplete((done, error) -> {
          lock.lock();
          try {
            unanswered -= records.size();
            changed.signalAll();
          } finally {
            lock.unlock();
          }
        })
        .thenApply(done -> List.of(outcomes));
  }

  /** Waits, up to the request timeout, until {@code more} settlements fit under the bound (any fit when none is unanswered). */
  private void awaitRoom(int more) throws InterruptedException {
    long deadline = System.nanoTime() + requestTimeoutNanos;
    while (unanswered > 0 && unanswered + more > MAX_UNANSWERED_SETTLEMENTS) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new OrdoException(ErrorCode.OVERLOADED, Status.Code.RESOURCE_EXHAUSTED,
            unanswered + " settlements of queue group '" + group + "' are still unanswered (at most "
                + MAX_UNANSWERED_SETTLEMENTS + "): the partitions' leaders are slow to commit them", null);
      }
      changed.awaitNanos(left);
    }
  }

  /** One stream message's settlements, and its answer to come. */
  private record Chunk(
      int partition, List<Integer> indexes, List<RecordSettlement> settlements, QueueStream stream,
      CompletableFuture<List<SettleOutcome>> answer) {}

  /**
   * The chunk's outcomes from its stream; if the stream ended first, or did not answer within the
   * request timeout (it is then dropped), from a unary Settle instead.
   */
  private CompletableFuture<List<SettleOutcome>> answer(Chunk chunk) {
    if (chunk.answer() == null) {
      return settleUnary(chunk);
    }
    return chunk.answer()
        .orTimeout(requestTimeoutNanos, TimeUnit.NANOSECONDS)
        .handle((outcomes, error) -> {
          if (error == null) {
            return CompletableFuture.completedFuture(outcomes);
          }
          if (error instanceof TimeoutException) {
            drop(chunk.partition(), chunk.stream());
          }
          // The stream ended: the settlements may or may not have been applied; repeating them is safe.
          return settleUnary(chunk);
        })
        .thenCompose(answer -> answer);
  }

  private void drop(int partition, QueueStream stream) {
    lock.lock();
    try {
      PartitionStreams p = partitions.get(partition);
      if (p != null && p.stream == stream) {
        p.stream = null;
      }
    } finally {
      lock.unlock();
    }
    stream.cancel("no answer to a settle within the request timeout");
  }

  private static RecordSettlement.Builder settlement(QueuedRecord record, SettleAction action) {
    return RecordSettlement.newBuilder()
        .setOffset(record.record().offset())
        .setDeliveries(record.deliveries())
        .setAction(action);
  }

  private CompletableFuture<List<SettleOutcome>> settleUnary(Chunk chunk) {
    return CompletableFuture.supplyAsync(() -> settleUnary(chunk.partition(), chunk.settlements()), blocking);
  }

  private List<SettleOutcome> settleUnary(int partition, List<RecordSettlement> settlements) {
    SettleRequest request =
        SettleRequest.newBuilder()
            .setGroup(group)
            .setTopic(topic)
            .setPartition(partition)
            .setConsumer(consumerId)
            .addAllSettlements(settlements)
            .build();
    String what = settlements.size() == 1
        ? settlements.get(0).getAction() + " " + topic + "/" + partition + "@" + settlements.get(0).getOffset()
        : "settle " + settlements.size() + " records of " + topic + "/" + partition;
    return leaders.call(topic, partition, what + " in queue group '" + group + "'", (channel, timeoutNanos) ->
            QueueServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS).settle(request))
        .getOutcomesList();
  }

  private static String key(QueuedRecord r) {
    return r.record().partition() + "@" + r.record().offset();
  }

  @Override
  public String consumerId() {
    return consumerId;
  }

  /**
   * Ends the streams (each answers its settles in flight and releases what it leased since), then
   * releases every record received and not settled, prefetched ones too.
   */
  @Override
  public void close() {
    try {
      List<QueueStream> open = new ArrayList<>();
      lock.lock();
      try {
        partitions.values().forEach(p -> {
          if (p.stream != null) {
            p.stream.finish();
            open.add(p.stream);
          }
        });
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        while ((unanswered > 0 || open.stream().anyMatch(st -> !st.isEnded())) && System.nanoTime() < deadline) {
          changed.awaitNanos(deadline - System.nanoTime());
        }
        open.stream().filter(st -> !st.isEnded()).forEach(st -> st.cancel("consumer closed"));
        partitions.clear();
      } finally {
        lock.unlock();
      }
      List<QueuedRecord> held;
      lock.lock();
      try {
        held = List.copyOf(unsettled.values());
        arrived.clear();
      } finally {
        lock.unlock();
      }
      settleAll(held, SettleAction.SETTLE_RELEASE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // their leases end on their own
    } catch (OrdoException e) {
      // Their leases end on their own; the records are delivered again then.
    } finally {
      onClosed.accept(this);
    }
  }
}
