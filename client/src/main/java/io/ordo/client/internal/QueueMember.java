package io.ordo.client.internal;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoException;
import io.ordo.client.QueueConsumer;
import io.ordo.client.QueuedRecord;
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

  private final String group;
  private final String topic;
  private final String consumerId = UUID.randomUUID().toString();
  private final MetadataCache metadata;
  private final LeaderCalls leaders;
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
    this.requestTimeoutNanos = requestTimeoutNanos;
    this.onClosed = onClosed;
  }

  @Override
  public List<QueuedRecord> receive(int maxRecords, Duration maxWait) {
    long deadline = System.nanoTime() + maxWait.toNanos();
    int partitions = Errors.await(metadata.topic(topic), requestTimeoutNanos, "look up topic '" + topic + "'").partitionCount();
    while (true) {
      List<QueuedRecord> out = new ArrayList<>();
      for (int i = 0; i < partitions && out.size() < maxRecords; i++) {
        int partition = Math.floorMod(nextPartition++, partitions);
        out.addAll(receiveFrom(partition, maxRecords - out.size()));
      }
      if (!out.isEmpty() || System.nanoTime() >= deadline) {
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
    List<LeasedRecord> leased = leaders.call(topic, partition, "receive from " + topic + "/" + partition + " in queue group '"
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

  private SettleOutcome settle(QueuedRecord record, SettleAction action, Duration delay, String reason) {
    int partition = record.record().partition();
    SettleRequest request =
        SettleRequest.newBuilder()
            .setGroup(group)
            .setTopic(topic)
            .setPartition(partition)
            .setConsumer(consumerId)
            .addSettlements(RecordSettlement.newBuilder()
                .setOffset(record.record().offset())
                .setDeliveries(record.deliveries())
                .setAction(action)
                .setDelayMs(delay.toMillis())
                .setReason(reason))
            .build();
    SettleOutcome outcome = leaders.call(topic, partition, action + " " + topic + "/" + partition + "@"
            + record.record().offset() + " in queue group '" + group + "'", (channel, timeoutNanos) ->
            QueueServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS).settle(request))
        .getOutcomes(0);
    if (action != SettleAction.SETTLE_RENEW) {
      unsettled.remove(key(record));
    }
    return outcome;
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
      for (QueuedRecord r : List.copyOf(unsettled.values())) {
        try {
          release(r);
        } catch (OrdoException e) {
          // Its lease ends on its own; the record is delivered again then.
        }
      }
    } finally {
      onClosed.accept(this);
    }
  }
}
