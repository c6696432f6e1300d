package io.ordo.client.internal;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.FetchResult;
import io.ordo.client.OrdoException;
import io.ordo.client.RecordHandler;
import io.ordo.client.Subscription;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.SubscribeRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Subscription} over the Subscribe stream that survives leader changes. All its state is
 * confined to one delivery thread: gRPC callbacks only hand messages over to it, and it calls the
 * handler, tracks the next offset to hand over and reconnects. The next message is requested
 * from the node only after the handler has taken the previous one (flow control), and records
 * below the next offset, which a new leader may send again after a reconnect, are skipped: the
 * handler sees each offset once, in order.
 */
final class ResumingSubscription implements Subscription {
  private final String topic;
  private final int partition;
  private final RecordHandler handler;
  private final ChannelPool channels;
  private final MetadataCache metadata;
  private final RetryPolicy retry;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService delivery;
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  private volatile long position;
  private volatile boolean closed;
  // Delivery-thread state.
  private ClientCall<SubscribeRequest, FetchResult> call;
  private int failures;

  ResumingSubscription(
      String topic,
      int partition,
      long offset,
      RecordHandler handler,
      ChannelPool channels,
      MetadataCache metadata,
      RetryPolicy retry,
      ScheduledExecutorService scheduler) {
    this.topic = topic;
    this.partition = partition;
    this.position = offset;
    this.handler = handler;
    this.channels = channels;
    this.metadata = metadata;
    this.retry = retry;
    this.scheduler = scheduler;
    this.delivery =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread thread = new Thread(r, "ordo-subscription-" + topic + "-" + partition);
              thread.setDaemon(true);
              return thread;
            });
  }

  void start() {
    onDeliveryThread(this::connect);
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public CompletableFuture<Void> done() {
    return done;
  }

  @Override
  public void close() {
    closed = true;
    onDeliveryThread(
        () -> {
          if (call != null) {
            call.cancel("subscription closed", null);
          } else {
            finish();
          }
        });
  }

  private void connect() {
    if (closed) {
      finish();
      return;
    }
    metadata
        .leader(topic, partition)
        .whenComplete(
            (leader, error) ->
                onDeliveryThread(
                    () -> {
                      if (error != null) {
                        onFailure(Errors.toOrdo(error));
                      } else {
                        open(leader);
                      }
                    }));
  }

  private void open(String leader) {
    if (closed) {
      finish();
      return;
    }
    ClientCall<SubscribeRequest, FetchResult> opened =
        channels.get(leader).newCall(FetchMethods.subscribe(topic, partition), CallOptions.DEFAULT);
    call = opened;
    opened.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(FetchResult message) {
            onDeliveryThread(() -> deliver(opened, message));
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            onDeliveryThread(() -> ended(opened, status, trailers));
          }
        },
        new Metadata());
    opened.request(1);
    opened.sendMessage(
        SubscribeRequest.newBuilder()
            .setTopic(topic)
            .setPartition(partition)
            .setOffset(position)
            .setStoredBatches(true)
            .build());
    opened.halfClose();
  }

  private void deliver(ClientCall<SubscribeRequest, FetchResult> from, FetchResult message) {
    if (from != call || closed) {
      return;
    }
    failures = 0;
    for (ConsumerRecord record : message.records()) {
      if (record.offset() < position) {
        continue;
      }
      if (closed) {
        return;
      }
      try {
        handler.onRecord(record);
      } catch (RuntimeException e) {
        from.cancel("record handler failed", e);
        terminate(e);
        return;
      }
      position = record.offset() + 1;
    }
    // Resolves a special start offset even when the first answer carries no records.
    position = Math.max(position, message.nextOffset());
    from.request(1);
  }

  private void ended(
      ClientCall<SubscribeRequest, FetchResult> from, Status status, Metadata trailers) {
    if (from != call) {
      return;
    }
    call = null;
    if (closed) {
      finish();
      return;
    }
    onFailure(
        status.isOk()
            ? new OrdoException(
                ErrorCode.ERROR_CODE_UNSPECIFIED,
                Status.Code.UNAVAILABLE,
                "node ended the stream of " + topic + "/" + partition,
                null)
            : Errors.toOrdo(status.asRuntimeException(trailers)));
  }

  private void onFailure(OrdoException error) {
    metadata.onError(topic, partition, error);
    if (!error.isRetriable()) {
      terminate(error);
      return;
    }
    try {
      scheduler.schedule(
          () -> onDeliveryThread(this::connect),
          retry.backoffNanos(++failures),
          TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The client is closing: there will be no reconnect.
      terminate(error);
    }
  }

  private void terminate(Throwable error) {
    if (!closed) {
      closed = true;
      handler.onError(error);
    }
    done.completeExceptionally(error);
    delivery.shutdown();
  }

  private void finish() {
    done.complete(null);
    delivery.shutdown();
  }

  private void onDeliveryThread(Runnable task) {
    try {
      delivery.execute(task);
    } catch (RejectedExecutionException e) {
      // The subscription has ended; late callbacks of its last stream have nothing to do.
    }
  }
}
