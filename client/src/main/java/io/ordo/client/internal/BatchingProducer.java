package io.ordo.client.internal;

import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.ordo.client.NotLeaderException;
import io.ordo.client.OrdoException;
import io.ordo.client.Producer;
import io.ordo.client.ProducerConfig;
import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import io.ordo.client.UnknownTopicException;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.PartitionAppend;
import io.ordo.proto.v1.ProduceManyResponse;
import io.ordo.proto.v1.ProduceResult;
import io.ordo.protocol.OrdoStatus;
import io.ordo.protocol.ProducerIds;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The {@link Producer}: callers append records to per-partition batches; one sender thread sends
 * each partition's batches to the partition's leader, in order, up to {@code
 * maxInFlightPerPartition} requests at a time, and handles the answers. gRPC callbacks only hand
 * results to the sender thread, so they never block and all retry state has a single writer.
 *
 * <p>The batches a pass over the partitions finds ready for one node travel in one ProduceMany
 * call, at most one batch of a partition in a call and at most {@link #MAX_CALL_BYTES} of records
 * (a larger batch goes alone); each batch gets its own answer and is retried on its own.
 *
 * <p>Order across retries: every request after the oldest unacknowledged one says it follows its
 * predecessor, and the partition appends it only directly after it (else SEQUENCE_GAP). When a
 * request fails, nothing more is sent until the others in flight are answered; then the oldest
 * unacknowledged batch is sent again, and the rest behind it.
 *
 * <p>Each node has at most {@code maxInFlightPerNode} calls in flight; the sender starts each
 * pass over the partitions one further along, so partitions waiting for a node take turns.
 *
 * <p>Limits: unacknowledged record bytes are bounded by {@code maxBufferedBytes} (a fair
 * semaphore, so a large record is not starved by small ones); each record by {@code
 * maxRecordBytes}; each request by {@code requestTimeout}; each batch's retries by {@code
 * deliveryTimeout}.
 */
public final class BatchingProducer implements Producer {
  /** Most bytes of records in one call, as Kafka's max.request.size; the node takes 16 times it. */
  static final int MAX_CALL_BYTES = 1024 * 1024;

  private final ProducerConfig config;
  private final ChannelPool channels;
  private final MetadataCache metadata;
  private final long requestTimeoutNanos;
  private final Consumer<AutoCloseable> onClosed;
  private final RetryPolicy retry;
  /** Random and non-zero when idempotent; 0 otherwise. */
  private final long producerId;
  private final long lingerNanos;
  private final long deliveryTimeoutNanos;
  private final int maxInFlight;
  private final int maxInFlightPerNode;
  /** Calls in flight per leader address. Sender thread only. */
  private final Map<String, Integer> inFlightPerNode = new HashMap<>();
  /** The calls this pass over the partitions fills, per leader address; sent at its end. Sender thread only. */
  private final Map<String, List<Call>> filling = new HashMap<>();
  /** Numbers calls in the order they are opened. Sender thread only. */
  private long callsOpened;
  /** Where the sender's next pass over a topic's partitions starts. Sender thread only. */
  private int passStart;
  private final PartitionChooser chooser = new PartitionChooser();
  private final Semaphore buffer;
  private final ConcurrentHashMap<String, PartitionQueue[]> queues = new ConcurrentHashMap<>();
  /** Work handed to the sender thread by gRPC callbacks. */
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** Calls to send() in progress; the sender outlives close() until they have appended. */
  private final AtomicInteger sendsInProgress = new AtomicInteger();
  private final AtomicInteger flushesInProgress = new AtomicInteger();
  private final Thread sender;
  private volatile boolean closing;

  /**
   * A producer sending through {@code channels} to the leaders {@code metadata} knows; {@code
   * onClosed} is given it once it has closed.
   */
  public BatchingProducer(
      ProducerConfig config,
      ChannelPool channels,
      MetadataCache metadata,
      long requestTimeoutNanos,
      Consumer<AutoCloseable> onClosed) {
    this.config = config;
    this.channels = channels;
    this.metadata = metadata;
    this.requestTimeoutNanos = requestTimeoutNanos;
    this.onClosed = onClosed;
    this.retry =
        new RetryPolicy(
            config.retryBackoffMin(),
            config.retryBackoffMax(),
            config.deliveryTimeout());
    this.producerId = config.idempotent() ? ProducerIds.newId() : 0;
    this.lingerNanos = config.linger().toNanos();
    this.deliveryTimeoutNanos = config.deliveryTimeout().toNanos();
    this.maxInFlight = config.maxInFlightPerPartition();
    this.maxInFlightPerNode = config.maxInFlightPerNode();
    this.buffer = new Semaphore((int) config.maxBufferedBytes(), true);
    this.sender = new Thread(this::runSender, "ordo-producer-sender");
    sender.setDaemon(true);
    sender.start();
  }

  @Override
  public CompletableFuture<RecordMetadata> send(ProducerRecord record) {
    sendsInProgress.incrementAndGet();
    try {
      if (closing) {
        throw new IllegalStateException("producer is closed");
      }
      return append(record);
    } finally {
      sendsInProgress.decrementAndGet();
    }
  }

  private CompletableFuture<RecordMetadata> append(ProducerRecord record) {
    long start = System.nanoTime();
    int size = EncodedRecords.entrySize(record);
    if (size > config.maxRecordBytes()) {
      return CompletableFuture.failedFuture(
          new OrdoException(
              ErrorCode.RECORD_TOO_LARGE,
              Status.Code.INVALID_ARGUMENT,
              "record of " + size + " bytes (key, value and headers encoded) exceeds the"
                  + " producer's maxRecordBytes of " + config.maxRecordBytes(),
              null));
    }
    long maxBlockNanos = config.maxBlock().toNanos();
    MetadataCache.TopicMetadata topic = metadata.cached(record.topic());
    if (topic == null) {
      try {
        topic = lookUpTopic(record.topic(), start + maxBlockNanos);
      } catch (OrdoException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    int partitionCount = topic.partitionCount();
    boolean chosen = record.partition() == null;
    int partition =
        chosen
            ? chooser.partition(record.topic(), record.key(), partitionCount)
            : record.partition();
    if (partition >= partitionCount) {
      return CompletableFuture.failedFuture(
          new UnknownTopicException(
              ErrorCode.UNKNOWN_PARTITION,
              "topic '" + record.topic() + "' has " + partitionCount + " partitions, not "
                  + partition,
              null));
    }
    if (!acquireBuffer(size, maxBlockNanos - (System.nanoTime() - start))) {
      return CompletableFuture.failedFuture(
          new OrdoException(
              ErrorCode.ERROR_CODE_UNSPECIFIED,
              Status.Code.RESOURCE_EXHAUSTED,
              "producer buffer (maxBufferedBytes " + config.maxBufferedBytes()
                  + ") stayed full for maxBlock " + config.maxBlock(),
              null));
    }
    CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
    PartitionQueue queue = queue(record.topic(), partition, partitionCount);
    int appended =
        queue.append(record, size, future, System.nanoTime(), config.batchBytes());
    if (chosen && (record.key() == null || record.key().length == 0)) {
      chooser.onAppended(record.topic(), partition, size, partitionCount, config.batchBytes());
    }
    if (appended != 0) {
      // Once per batch, not per record: a new batch starts a linger timer, a full one is ready.
      LockSupport.unpark(sender);
    }
    return future;
  }

  private boolean acquireBuffer(int bytes, long timeoutNanos) {
    try {
      return buffer.tryAcquire(bytes, Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private PartitionQueue queue(String topic, int partition, int partitionCount) {
    PartitionQueue[] partitions = queues.get(topic);
    if (partitions == null || partitions.length < partitionCount) {
      // First record of the topic, or the topic was re-created with more partitions.
      partitions = queues.compute(topic, (t, old) -> grow(t, old, partitionCount));
    }
    return partitions[partition];
  }

  private static PartitionQueue[] grow(String topic, PartitionQueue[] old, int partitionCount) {
    int kept = old == null ? 0 : old.length;
    if (kept >= partitionCount) {
      return old;
    }
    PartitionQueue[] grown = new PartitionQueue[partitionCount];
    for (int p = 0; p < partitionCount; p++) {
      grown[p] = p < kept ? old[p] : new PartitionQueue(topic, p);
    }
    return grown;
  }

  @Override
  public void flush() {
    if (Thread.currentThread() == sender) {
      throw new IllegalStateException("flush() from a send callback would wait for itself");
    }
    flushesInProgress.incrementAndGet();
    try {
      LockSupport.unpark(sender);
      List<CompletableFuture<Void>> pending = new ArrayList<>();
      for (PartitionQueue[] partitions : queues.values()) {
        for (PartitionQueue queue : partitions) {
          queue.collectPending(pending);
        }
      }
      CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).join();
    } finally {
      flushesInProgress.decrementAndGet();
    }
  }

  @Override
  public void close() {
    if (Thread.currentThread() == sender) {
      throw new IllegalStateException("close() from a send callback would wait for itself");
    }
    closing = true;
    LockSupport.unpark(sender);
    boolean interrupted = false;
    while (sender.isAlive()) {
      try {
        sender.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    onClosed.accept(this);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- sender thread ----

  private void runSender() {
    while (true) {
      for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
        task.run();
      }
      long now = System.nanoTime();
      boolean urgent = closing || flushesInProgress.get() > 0;
      long wakeAt = Long.MAX_VALUE;
      boolean empty = true;
      passStart++;
      for (PartitionQueue[] partitions : queues.values()) {
        for (int i = 0; i < partitions.length; i++) {
          PartitionQueue queue = partitions[Math.floorMod(passStart + i, partitions.length)];
          wakeAt = Math.min(wakeAt, service(queue, now, urgent));
          empty &= queue.isEmpty();
        }
      }
      filling.values().forEach(calls -> calls.forEach(this::send));
      filling.clear();
      if (closing && empty && sendsInProgress.get() == 0 && tasks.isEmpty()) {
        return;
      }
      if (wakeAt == Long.MAX_VALUE) {
        LockSupport.park(this);
      } else if (wakeAt > now) {
        LockSupport.parkNanos(this, wakeAt - now);
      }
    }
  }

  /** Sends the queue's next batches if they are due; returns when to look at the queue again. */
  private long service(PartitionQueue queue, long now, boolean urgent) {
    if (queue.awaitingMetadata || (queue.resending && queue.inFlight > 0)) {
      return Long.MAX_VALUE;
    }
    if (queue.inFlight == 0) {
      queue.resending = false;
      for (ProducerBatch expired = queue.pollExpired(now, deliveryTimeoutNanos);
          expired != null;
          expired = queue.pollExpired(now, deliveryTimeoutNanos)) {
        finish(expired, deliveryTimeout(expired));
      }
      if (now < queue.retryAtNanos) {
        return queue.retryAtNanos;
      }
    }
    while (queue.inFlight < maxInFlight) {
      ProducerBatch batch = queue.nextToSend(now, lingerNanos, urgent);
      if (batch == null) {
        return queue.lingerDeadline(lingerNanos);
      }
      MetadataCache.TopicMetadata topic = metadata.cached(queue.topic);
      if (topic == null) {
        if (queue.inFlight == 0) {
          lookUpLeader(queue);
        }
        return Long.MAX_VALUE;
      }
      String leader;
      try {
        leader = topic.leaderAddress(queue.partition);
      } catch (OrdoException e) {
        if (queue.inFlight > 0) {
          return Long.MAX_VALUE;
        }
        // No leader known: a refresh will tell, after the back-off so an election can finish.
        metadata.onError(queue.topic, queue.partition, e);
        return retryLater(queue, batch, e, now);
      }
      Call call = callTaking(leader, queue, batch);
      if ((call == null && inFlightPerNode.getOrDefault(leader, 0) >= maxInFlightPerNode)
          || !queue.mayGo(batch, maxInFlight)) {
        return Long.MAX_VALUE; // an answer wakes the sender
      }
      if (call == null) {
        call = new Call(leader, ++callsOpened);
        filling.computeIfAbsent(leader, l -> new ArrayList<>()).add(call);
        inFlightPerNode.merge(leader, 1, Integer::sum);
      }
      enlist(call, queue, batch);
    }
    return Long.MAX_VALUE;
  }

  /**
   * A call this pass fills for {@code leader} with room for {@code batch} and none of {@code
   * queue}'s batches yet, or null. A queue's batches join calls in the order they were opened, so
   * a call opened after the queue's last one holds none of them.
   */
  private Call callTaking(String leader, PartitionQueue queue, ProducerBatch batch) {
    for (Call call : filling.getOrDefault(leader, List.of())) {
      if (call.number > queue.lastCall && call.bytes + batch.bytes() <= MAX_CALL_BYTES) {
        return call;
      }
    }
    return null;
  }

  /**
   * The topic's metadata, looked up again after a back-off while the cluster answers with a
   * retriable error (a node down, an election running), until {@code deadlineNanos}.
   */
  private MetadataCache.TopicMetadata lookUpTopic(String topic, long deadlineNanos) {
    for (int attempt = 1; ; attempt++) {
      long remaining = deadlineNanos - System.nanoTime();
      try {
        return Errors.await(metadata.refresh(topic), Math.max(1, remaining), "looking up topic '" + topic + "'");
      } catch (OrdoException e) {
        long backoff = retry.backoffNanos(attempt);
        if (!e.isRetriable() || System.nanoTime() + backoff >= deadlineNanos) {
          throw e;
        }
        LockSupport.parkNanos(backoff);
      }
    }
  }

  private void lookUpLeader(PartitionQueue queue) {
    queue.awaitingMetadata = true;
    metadata
        .refresh(queue.topic)
        .whenComplete((topic, error) -> post(() -> onMetadata(queue, error)));
  }

  private void onMetadata(PartitionQueue queue, Throwable error) {
    queue.awaitingMetadata = false;
    ProducerBatch batch = queue.head();
    if (error == null || batch == null) {
      return;
    }
    OrdoException ordo = Errors.toOrdo(error);
    if (ordo.isRetriable()) {
      retryLater(queue, batch, ordo, System.nanoTime());
    } else {
      queue.removeHead(batch);
      finish(batch, ordo);
    }
  }

  private void enlist(Call call, PartitionQueue queue, ProducerBatch batch) {
    boolean followsPrevious = queue.head() != batch;
    batch.inFlight = true;
    queue.inFlight++;
    queue.lastCall = call.number;
    call.queues.add(queue);
    call.batches.add(batch);
    batch.addRequest(call.request, queue, producerId, followsPrevious);
    call.bytes += batch.bytes();
    call.createdNanos = Math.min(call.createdNanos, batch.createdNanos);
  }

  private void send(Call call) {
    long remaining = deliveryTimeoutNanos - (System.nanoTime() - call.createdNanos);
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(
        Math.max(1, Math.min(requestTimeoutNanos, remaining)), TimeUnit.NANOSECONDS);
    Rpc.call(
            (EncodedProduceMany request, StreamObserver<ProduceManyResponse> answer) ->
                ClientCalls.asyncUnaryCall(channels.get(call.leader).newCall(EncodedProduceMany.METHOD, options), request, answer),
            call.request)
        .whenComplete((response, error) -> post(() -> onAnswered(call, response, error)));
  }

  /** Hands each batch of the call its own answer, in the call's order: the call's failure, or its result. */
  private void onAnswered(Call call, ProduceManyResponse response, Throwable error) {
    inFlightPerNode.computeIfPresent(call.leader, (node, calls) -> calls > 1 ? calls - 1 : null);
    if (error == null && response.getResultsCount() != call.batches.size()) {
      error = new OrdoException(
          ErrorCode.INTERNAL_ERROR,
          Status.Code.INTERNAL,
          "node at " + call.leader + " answered " + response.getResultsCount() + " results to a call of "
              + call.batches.size() + " requests",
          null);
    }
    for (int i = 0; i < call.batches.size(); i++) {
      ProduceResult result = error == null ? response.getResults(i) : null;
      onProduced(
          call.queues.get(i),
          call.batches.get(i),
          call.leader,
          result == null || !result.hasAppend() ? null : result.getAppend(),
          result == null || !result.hasError() ? error : OrdoStatus.exception(result.getError()));
    }
  }

  private void onProduced(
      PartitionQueue queue,
      ProducerBatch batch,
      String leader,
      PartitionAppend append,
      Throwable error) {
    batch.inFlight = false;
    queue.inFlight--;
    if (error == null && append == null) {
      error = new OrdoException(
          ErrorCode.INTERNAL_ERROR, Status.Code.INTERNAL, "node at " + leader + " answered a request with neither an append nor an error", null);
    }
    if (error == null) {
      queue.remove(batch);
      acknowledge(queue, batch, append);
      return;
    }
    queue.resending = true;
    OrdoException ordo = Errors.toOrdo(error);
    if (ordo.errorCode() == ErrorCode.SEQUENCE_GAP) {
      return; // A request before it failed, or arrived after it: it goes again in its turn.
    }
    if (!Errors.definitelyNotWritten(ordo)) {
      batch.maybeCommitted = true;
    }
    metadata.onError(queue.topic, queue.partition, ordo);
    if (queue.head() != batch) {
      // Only the oldest batch is retried on its own terms: the rest follow it.
      batch.lastError = ordo;
      return;
    }
    long now = System.nanoTime();
    if (Errors.isNotFound(ordo) && !batch.refreshedAfterNotFound) {
      // Our metadata may predate a delete and re-create; the refresh (onError dropped the entry)
      // decides, and a topic that is really gone fails the batch in onMetadata.
      batch.refreshedAfterNotFound = true;
      batch.lastError = ordo;
      return;
    }
    if (ordo instanceof NotLeaderException hint
        && !hint.leaderAddress().isEmpty()
        && !hint.leaderAddress().equals(leader)
        && !batch.followedLeaderHint) {
      // The node named the new leader: go there at once. Later hints wait the back-off, so two
      // nodes that each name the other cannot make us spin.
      batch.followedLeaderHint = true;
      batch.attempts++;
      batch.lastError = ordo;
      return;
    }
    retryLater(queue, batch, ordo, now);
  }

  private void acknowledge(PartitionQueue queue, ProducerBatch batch, PartitionAppend append) {
    if (append.getPartition() != queue.partition || append.getRecordCount() != batch.recordCount()) {
      finish(
          batch,
          new OrdoException(
              ErrorCode.INTERNAL_ERROR,
              Status.Code.INTERNAL,
              "node acknowledged " + append.getRecordCount() + " records at " + queue.topic + "/"
                  + append.getPartition() + " for a batch of " + batch.recordCount() + " to "
                  + queue.topic + "/" + queue.partition,
              null));
      return;
    }
    batch.complete(queue.topic, queue.partition, append.getBaseOffset(), append.getTimestampMs());
    buffer.release(batch.bytes());
  }

  /** Schedules the batch's next attempt after a back-off, or fails it if it may not retry. */
  private long retryLater(PartitionQueue queue, ProducerBatch batch, OrdoException error, long now) {
    batch.attempts++;
    batch.lastError = error;
    long backoff = retry.backoffNanos(batch.attempts);
    if (retry.shouldRetry(error, batch.createdNanos, now, backoff)) {
      queue.retryAtNanos = now + backoff;
      return queue.retryAtNanos;
    }
    queue.removeHead(batch);
    finish(batch, error.isRetriable() ? deliveryTimeout(batch) : error);
    return now;
  }

  private OrdoException deliveryTimeout(ProducerBatch batch) {
    return Errors.timeout(
        batch.recordCount() + " records not acknowledged within deliveryTimeout "
            + config.deliveryTimeout() + " after " + batch.attempts + " attempts"
            + (batch.lastError == null ? "" : "; last error: " + batch.lastError.getMessage()),
        batch.lastError);
  }

  /** Fails every record of a batch already removed from its queue and frees its buffer space. */
  private void finish(ProducerBatch batch, OrdoException error) {
    // A definite refusal now does not undo an earlier attempt that may have been committed.
    boolean unknown = batch.maybeCommitted && error.errorCode() != ErrorCode.OUTCOME_UNKNOWN;
    batch.fail(unknown ? Errors.outcomeUnknown(batch.recordCount() + " records", error) : error);
    buffer.release(batch.bytes());
  }

  private void post(Runnable task) {
    tasks.add(task);
    LockSupport.unpark(sender);
  }

  /** A ProduceMany call: the batches one pass found ready for a node. Sender thread only. */
  private static final class Call {
    final String leader;
    /** Its place in the order calls were opened. */
    final long number;
    final List<PartitionQueue> queues = new ArrayList<>();
    final List<ProducerBatch> batches = new ArrayList<>();
    final EncodedProduceMany request = new EncodedProduceMany();
    int bytes;
    /** When its oldest batch was created: the call may take no longer than that batch may. */
    long createdNanos = Long.MAX_VALUE;

    Call(String leader, long number) {
      this.leader = leader;
      this.number = number;
    }
  }
}
