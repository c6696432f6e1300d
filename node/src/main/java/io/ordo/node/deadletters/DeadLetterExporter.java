package io.ordo.node.deadletters;

import io.ordo.client.AppendedRecords;
import io.ordo.client.Header;
import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.ProducerRecord;
import io.ordo.jraft.DaemonThreads;
import io.ordo.node.routing.Router;
import io.ordo.proto.raft.v1.MarkDeadLettersExported;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.QueueProgress;
import io.ordo.proto.raft.v1.QueueRecord;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.raft.metadata.FeatureLevel;
import io.ordo.raft.partition.OpCallback;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.queue.QueueGroups;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.replica.ReplicaError;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports the dead letters of the queue groups whose partitions this node leads to each group's
 * dead-letter topic, exactly once across failovers.
 *
 * <p>How: a dead letter has a number in its group's partition (its sequence, in the replicated
 * ledger). The leader appends a run of consecutive ones to the dead-letter topic as the idempotent
 * producer the group drew in that partition, numbering the records by sequence; then it proposes
 * MarkDeadLettersExported past the run in the source partition, and only after that appends the
 * next run. So at most one run is appended and not marked, and it is that producer's last append
 * in its dead-letter partition: a new leader that appends it again (perhaps with more records) is
 * answered with where the first copy went and how many records it had, and marks past those. A
 * stale view (a mark applied elsewhere but not here yet) appends nothing either: a run the
 * partition still remembers (its producer's last 5) is answered as that repeat, and marking past
 * it again changes nothing; an older one is refused as OUT_OF_ORDER_SEQUENCE and tried again later.
 *
 * <p>One thread does the exports of the node, one per group and partition at a time; it blocks on
 * the append and the mark, never on a gRPC or Raft thread.
 */
public final class DeadLetterExporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterExporter.class);
  /** Exports waiting for the exporter thread, at most; past it the next pass queues them again. */
  private static final int MAX_QUEUED_EXPORTS = 1_000;
  private static final long MARK_TIMEOUT_MS = 10_000;
  /** A failing export is logged at most this often per group and partition. */
  private static final long LOG_INTERVAL_MS = 30_000;
  public static final String HEADER_PREFIX = "ordo.dlq.";

  private final Router router;
  /** Bytes of records in one export's append, at most (one record goes alone if it is larger). */
  private final int maxAppendBytes;
  private final Supplier<OrdoClient> clients;
  private OrdoClient client;
  private final ThreadPoolExecutor thread =
      new ThreadPoolExecutor(
          1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(MAX_QUEUED_EXPORTS), DaemonThreads.named("ordo-dead-letter-export"));
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> lastLogged = new ConcurrentHashMap<>();

  /**
   * @param maxAppendBytes the node's largest record: an append stays within it, so within the
   *     largest batch too
   * @param clients makes the client the exporter appends and creates topics with, on first need
   */
  public DeadLetterExporter(Router router, int maxAppendBytes, Supplier<OrdoClient> clients) {
    this.router = router;
    this.maxAppendBytes = maxAppendBytes;
    this.clients = clients;
  }

  /** Queues an export for each group, in each partition this node leads, with dead letters to export. */
  public void exportDue() {
    if (!router.view().hasFeature(FeatureLevel.DEAD_LETTER_EXPORT)) {
      return;
    }
    for (PartitionReplica replica : router.replicas().replicas()) {
      if (!replica.isLeader()) {
        continue;
      }
      for (QueueGroups.Summary summary : replica.queueSummaries().values()) {
        String key = replica.id() + "/" + summary.progress().getGroup();
        if (!summary.toExport().isEmpty() && queued.add(key)) {
          try {
            thread.execute(() -> {
              queued.remove(key);
              exportNext(replica, summary.progress().getGroup(), key);
            });
          } catch (RejectedExecutionException full) {
            queued.remove(key); // the next pass queues it again
          }
        }
      }
    }
  }

  private void exportNext(PartitionReplica replica, String group, String key) {
    QueueGroups.Summary summary = replica.queueSummaries().get(group);
    Optional<TopicRecord> source = router.view().topics().values().stream()
        .filter(t -> t.getTopicId() == replica.id().topicId())
        .findFirst();
    if (summary == null || summary.toExport().isEmpty() || source.isEmpty() || !replica.isLeader()) {
      return;
    }
    QueueProgress progress = summary.progress();
    List<QueueRecord> run = firstRun(summary.toExport());
    String target = progress.getPolicy().getDeadLetterTopic();
    try {
      int partitions = targetPartitions(target, source.get());
      List<ProducerRecord> records = new ArrayList<>(run.size());
      long bytes = 0;
      for (QueueRecord dead : run) {
        ProducerRecord record = deadLetterRecord(target, source.get().getName(), replica, group, dead, maxAppendBytes);
        bytes += sizeOf(record);
        if (!records.isEmpty() && bytes > maxAppendBytes) {
          break;
        }
        records.add(record);
      }
      long first = run.get(0).getDeadLetterSequence();
      AppendedRecords appended = client().appendSequenced(
          target, replica.id().partition() % partitions, progress.getDeadLetterProducerId(), first, records);
      mark(replica, group, first + appended.recordCount());
      lastLogged.remove(key);
    } catch (RuntimeException e) { // OrdoException, ExportFailed: all retried on a later pass
      long now = System.currentTimeMillis();
      Long last = lastLogged.get(key);
      if (last == null || now - last >= LOG_INTERVAL_MS) {
        lastLogged.put(key, now);
        LOG.warn("exporting dead letters of queue group '{}' in {} to topic '{}' failed (retrying): {}",
            group, replica.id(), target, e.getMessage());
      }
    }
  }

  /** The dead letters from the first on with consecutive sequences, within the byte bound. */
  private static List<QueueRecord> firstRun(List<QueueRecord> toExport) {
    List<QueueRecord> run = new ArrayList<>();
    for (QueueRecord r : toExport) {
      if (!run.isEmpty() && r.getDeadLetterSequence() != run.get(run.size() - 1).getDeadLetterSequence() + 1) {
        break;
      }
      run.add(r);
    }
    return run;
  }

  /** The dead-letter topic's partition count, creating it like the source topic if it is missing. */
  private int targetPartitions(String target, TopicRecord source) {
    Optional<TopicRecord> known = router.view().topic(target);
    if (known.isPresent()) {
      return known.get().getPartitionsCount();
    }
    try {
      return client().admin().createTopic(target, source.getPartitionsCount(), source.getReplicationFactor()).partitions().size();
    } catch (OrdoException e) {
      if (e.errorCode() != ErrorCode.TOPIC_ALREADY_EXISTS) {
        throw e;
      }
      return client().admin().describeTopic(target).partitions().size();
    }
  }

  /** The dead letter as a record of its own: the original key, value and headers, and where it came from and why. */
  private static ProducerRecord deadLetterRecord(
      String target, String topic, PartitionReplica replica, String group, QueueRecord dead, int maxBytes) {
    List<ConsumedRecord> read = replica.read(dead.getOffset(), 1, maxBytes);
    ConsumedRecord original = read.isEmpty() ? ConsumedRecord.getDefaultInstance() : read.get(0);
    List<Header> headers = new ArrayList<>();
    original.getHeadersList().forEach(h -> headers.add(new Header(h.getKey(), h.getValue().toByteArray())));
    headers.add(text("topic", topic));
    headers.add(text("partition", Integer.toString(replica.id().partition())));
    headers.add(text("offset", Long.toString(dead.getOffset())));
    headers.add(text("group", group));
    headers.add(text("deliveries", Integer.toString(dead.getDeliveries())));
    headers.add(text("reason", dead.getDeadReason()));
    headers.add(text("error", dead.getLastError()));
    headers.add(text("dead-at-ms", Long.toString(dead.getDeadAtMs())));
    headers.add(text("timestamp-ms", Long.toString(original.getTimestampMs())));
    return new ProducerRecord(
        target, null, original.getKey().isEmpty() ? null : original.getKey().toByteArray(), original.getValue().toByteArray(), headers);
  }

  private static long sizeOf(ProducerRecord r) {
    long size = (r.key() == null ? 0 : r.key().length) + r.value().length;
    for (Header h : r.headers()) {
      size += h.key().length() + h.value().length;
    }
    return size;
  }

  private static Header text(String name, String value) {
    return new Header(HEADER_PREFIX + name, value.getBytes(StandardCharsets.UTF_8));
  }

  /** Proposes that the group's dead letters below {@code nextSequence} are exported, and waits for it. */
  private static void mark(PartitionReplica replica, String group, long nextSequence) {
    CompletableFuture<OpResult> marked = new CompletableFuture<>();
    PartitionOp op = PartitionOp.newBuilder()
        .setMarkDeadLettersExported(MarkDeadLettersExported.newBuilder().setGroup(group).setNextSequence(nextSequence))
        .build();
    replica.propose(op, 0, new OpCallback() {
      @Override
      public void onApplied(OpResult result, long timestampMs) {
        marked.complete(result);
      }

      @Override
      public void onFailed(ReplicaError error) {
        marked.completeExceptionally(new ExportFailed("marking the export failed: " + error.message()));
      }
    });
    try {
      OpResult result = marked.get(MARK_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      if (result instanceof OpResult.Refused refused) {
        throw new ExportFailed("marking the export was refused: " + refused.message());
      }
    } catch (ExecutionException e) {
      throw (ExportFailed) e.getCause();
    } catch (TimeoutException e) {
      throw new ExportFailed("marking the export took over " + MARK_TIMEOUT_MS + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ExportFailed("interrupted");
    }
  }

  private synchronized OrdoClient client() {
    if (client == null) {
      client = clients.get();
    }
    return client;
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      if (client != null) {
        client.close();
      }
    }
  }

  private static final class ExportFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ExportFailed(String message) {
      super(message);
    }
  }
}
