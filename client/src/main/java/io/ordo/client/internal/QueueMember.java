package io.ordo.client.internal;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoException;
import io.ordo.client.QueueConsumer;
import io.ordo.client.QueuedRecord;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.LeasedRecord;
import io.ordo.proto.v1.QueueServiceGrpc;
import io.ordo.proto.v1.ReceiveRequest;
import io.ordo.proto.v1.RecordSettlement;
import io.ordo.proto.v1.SettleAction;
import io.ordo.proto.v1.SettleOutcome;
import io.ordo.proto.v1.SettleRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The {@link QueueConsumer}. Receives from the topic's partitions in turn, starting one further on
 * each time, so every partition's records flow; each call goes to the partition's leader and is
 * retried there within the request timeout. It remembers what it received and has not settled, to
 * release it on close.
 */
public final class QueueMember implements QueueConsumer {
  /** How long a receive that found nothing anywhere waits before it asks the partitions again. */
  private static final long IDLE_SLEEP_MS = 100;
  /**
   * How long one receive retries a partition that has no leader, at most, before it goes on
   * without it: the other partitions' records are not held up for a whole request timeout.
   */
  private static final Duration PARTITION_RECEIVE_BUDGET = Duration.ofSeconds(2);
  /** Settlements sent in one call, at most: a call stays far inside the message limit. */
  private static final int MAX_SETTLEMENTS_PER_CALL = 1_000;

  private final String group;
  private final String topic;
  private final String consumerId = UUID.randomUUID().toString();
  private final MetadataCache metadata;
  private final LeaderCalls leaders;
  private final LeaderCalls receiveLeaders;
  private final long requestTimeoutNanos;
  private final Consumer<AutoCloseable> onClosed;
  /** Received and not settled, by partition and offset. */
  private final Map<String, QueuedRecord> unsettled = new LinkedHashMap<>();
  private int nextPartition;

  public QueueMember(
      String group,
      String topic,
      ChannelPool channels,
      MetadataCache metadata,
      RetryPolicy retry,
      long requestTimeoutNanos,
      Consumer<AutoCloseable> onClosed) {
    this.group = group;
    this.topic = topic;
    this.metadata = metadata;
    this.leaders = new LeaderCalls(channels, metadata, retry, requestTimeoutNanos);
    long budgetNanos = Math.min(requestTimeoutNanos, PARTITION_RECEIVE_BUDGET.toNanos());
    this.receiveLeaders = new LeaderCalls(channels, metadata, retry.within(Duration.ofNanos(budgetNanos)), budgetNanos);
    this.requestTimeoutNanos = requestTimeoutNanos;
    this.onClosed = onClosed;
  }

  @Override
  public List<QueuedRecord> receive(int maxRecords, Duration maxWait) {
    long deadline = System.nanoTime() + maxWait.toNanos();
    int partitions = Errors.await(metadata.topic(topic), requestTimeoutNanos, "look up topic '" + topic + "'").partitionCount();
    while (true) {
      List<QueuedRecord> out = new ArrayList<>();
      OrdoException unavailable = null;
      boolean answered = false;
      for (int i = 0; i < partitions && out.size() < maxRecords; i++) {
        int partition = Math.floorMod(nextPartition++, partitions);
        try {
          out.addAll(receiveFrom(partition, maxRecords - out.size()));
          answered = true;
        } catch (OrdoException e) {
          // No leader within the budget, or an acquire whose leases never reached us (they end
          // on their own): go on with the other partitions.
          if (!e.isRetriable() && e.errorCode() != ErrorCode.OUTCOME_UNKNOWN) {
            throw e;
          }
          unavailable = e;
        }
      }
      if (!out.isEmpty()) {
        return out;
      }
      if (System.nanoTime() >= deadline) {
        if (!answered && unavailable != null) {
          throw unavailable; // no partition could be asked at all
        }
        return out;
      }
      long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.max(1, Math.min(IDLE_SLEEP_MS, leftMs))));
    }
  }

  private List<QueuedRecord> receiveFrom(int partition, int maxRecords) {
    ReceiveRequest request =
        ReceiveRequest.newBuilder()
            .setGroup(group)
            .setTopic(topic)
            .setPartition(partition)
            .setConsumer(consumerId)
            .setMaxRecords(Math.min(maxRecords, 1_000))
            .build();
    List<LeasedRecord> leased = receiveLeaders.call(topic, partition, "receive from " + topic + "/" + partition + " in queue group '"
            + group + "'", (channel, timeoutNanos) ->
            QueueServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS).receive(request))
        .getRecordsList();
    List<QueuedRecord> out = new ArrayList<>(leased.size());
    if (leased.isEmpty()) {
      return out;
    }
    FetchResponse.Builder asFetch = FetchResponse.newBuilder();
    leased.forEach(l -> asFetch.addRecords(l.getRecord()));
    List<ConsumerRecord> records = GrpcConsumer.toResult(topic, partition, asFetch.build()).records();
    for (int i = 0; i < leased.size(); i++) {
      QueuedRecord r = new QueuedRecord(records.get(i), leased.get(i).getDeliveries(), leased.get(i).getLeaseEndsAtMs());
      unsettled.put(key(r), r);
      out.add(r);
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

  private SettleOutcome settle(QueuedRecord record, SettleAction action, Duration delay, String reason) {
    RecordSettlement settlement = settlement(record, action).setDelayMs(delay.toMillis()).setReason(reason).build();
    SettleOutcome outcome = settle(record.record().partition(), List.of(settlement)).get(0);
    if (action != SettleAction.SETTLE_RENEW) {
      unsettled.remove(key(record));
    }
    return outcome;
  }

  /** One call per partition, so the settlements of a partition travel in one Raft entry. */
  private List<SettleOutcome> settleAll(List<QueuedRecord> records, SettleAction action) {
    Map<Integer, List<Integer>> byPartition = new TreeMap<>();
    for (int i = 0; i < records.size(); i++) {
      byPartition.computeIfAbsent(records.get(i).record().partition(), p -> new ArrayList<>()).add(i);
    }
    SettleOutcome[] outcomes = new SettleOutcome[records.size()];
    byPartition.forEach((partition, indexes) -> {
      for (int from = 0; from < indexes.size(); from += MAX_SETTLEMENTS_PER_CALL) {
        List<Integer> chunk = indexes.subList(from, Math.min(indexes.size(), from + MAX_SETTLEMENTS_PER_CALL));
        List<SettleOutcome> answered =
            settle(partition, chunk.stream().map(i -> settlement(records.get(i), action).build()).toList());
        for (int j = 0; j < chunk.size(); j++) {
          outcomes[chunk.get(j)] = answered.get(j);
          unsettled.remove(key(records.get(chunk.get(j))));
        }
      }
    });
    return List.of(outcomes);
  }

  private static RecordSettlement.Builder settlement(QueuedRecord record, SettleAction action) {
    return RecordSettlement.newBuilder()
        .setOffset(record.record().offset())
        .setDeliveries(record.deliveries())
        .setAction(action);
  }

  private List<SettleOutcome> settle(int partition, List<RecordSettlement> settlements) {
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

  @Override
  public void close() {
    try {
      settleAll(List.copyOf(unsettled.values()), SettleAction.SETTLE_RELEASE);
    } catch (OrdoException e) {
      // Their leases end on their own; the records are delivered again then.
    } finally {
      onClosed.accept(this);
    }
  }
}
