package io.ordo.client.internal;

import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.ordo.client.Consumer;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.FetchResult;
import io.ordo.client.RecordHandler;
import io.ordo.client.Subscription;
import io.ordo.proto.v1.FetchRequest;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The {@link Consumer}: fetches go to the partition's leader and are retried there, within the
 * request timeout, when the leader moves; subscriptions are {@link ResumingSubscription}s.
 */
public final class GrpcConsumer implements Consumer {
  private final ChannelPool channels;
  private final MetadataCache metadata;
  private final RetryPolicy retry;
  private final ScheduledExecutorService scheduler;
  private final LeaderCalls leaders;
  private final java.util.function.Consumer<AutoCloseable> onClosed;
  private final Set<ResumingSubscription> subscriptions = ConcurrentHashMap.newKeySet();

  /**
   * A consumer reading through {@code channels}; subscriptions wait their back-off on {@code
   * scheduler}; {@code onClosed} is given it once it has closed.
   */
  public GrpcConsumer(
      ChannelPool channels,
      MetadataCache metadata,
      RetryPolicy retry,
      ScheduledExecutorService scheduler,
      long requestTimeoutNanos,
      java.util.function.Consumer<AutoCloseable> onClosed) {
    this.channels = channels;
    this.metadata = metadata;
    this.retry = retry;
    this.scheduler = scheduler;
    this.leaders = new LeaderCalls(channels, metadata, retry, requestTimeoutNanos);
    this.onClosed = onClosed;
  }

  @Override
  public FetchResult fetch(
      String topic, int partition, long offset, int maxRecords, int maxBytes, Duration maxWait) {
    Objects.requireNonNull(topic, "topic");
    if (maxRecords < 0 || maxBytes < 0 || maxWait.isNegative()) {
      throw new IllegalArgumentException("maxRecords, maxBytes and maxWait must not be negative");
    }
    int maxWaitMs = (int) Math.min(Integer.MAX_VALUE, maxWait.toMillis());
    FetchRequest request =
        FetchRequest.newBuilder()
            .setTopic(topic)
            .setPartition(partition)
            .setOffset(offset)
            .setMaxRecords(maxRecords)
            .setMaxBytes(maxBytes)
            .setMaxWaitMs(maxWaitMs)
            .setStoredBatches(true)
            .build();
    MethodDescriptor<FetchRequest, FetchResult> method = FetchMethods.fetch(topic, partition);
    FetchResult result =
        leaders.call(topic, partition, "fetch " + topic + "/" + partition, (channel, timeoutNanos) ->
            ClientCalls.blockingUnaryCall(
                channel,
                method,
                CallOptions.DEFAULT.withDeadlineAfter(timeoutNanos + TimeUnit.MILLISECONDS.toNanos(maxWaitMs), TimeUnit.NANOSECONDS),
                request));
    if (maxRecords == 0 || result.records().size() <= maxRecords) {
      return result;
    }
    // The node answers in whole batches and may pass maxRecords by part of the last one.
    List<ConsumerRecord> kept = result.records().subList(0, maxRecords);
    return new FetchResult(List.copyOf(kept), kept.get(maxRecords - 1).offset() + 1, result.startOffset(), result.endOffset());
  }

  @Override
  public Subscription subscribe(String topic, int partition, long offset, RecordHandler handler) {
    ResumingSubscription subscription =
        new ResumingSubscription(
            topic, partition, offset, handler, channels, metadata, retry, scheduler);
    subscriptions.add(subscription);
    subscription.done().whenComplete((ok, error) -> subscriptions.remove(subscription));
    subscription.start();
    return subscription;
  }

  @Override
  public void close() {
    for (ResumingSubscription subscription : List.copyOf(subscriptions)) {
      subscription.close();
    }
    onClosed.accept(this);
  }
}
