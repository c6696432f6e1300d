package io.ordo.node.metrics;

import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.ordo.proto.raft.v1.GroupRecord;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.raft.metadata.MetadataView;
import io.ordo.raft.partition.ParkedReads;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.partition.PendingBytes;
import io.ordo.raft.partition.SnapshotEvents;
import io.ordo.raft.partition.WriteStages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * A node's metrics, in Prometheus' text format: the JVM's, each partition replica's offsets and
 * leadership (read when scraped), and how long the writes this node leads spend in each stage
 * (see {@link WriteStages}) as histograms, so a tail can be put down to a stage.
 */
public final class NodeMetrics implements AutoCloseable {
  private static final Duration SHORTEST_WRITE = Duration.ofNanos(50_000);
  private static final Duration LONGEST_WRITE = Duration.ofSeconds(30);
  /** RocksDB properties a node reports per store, by metric name: sizes on disk and in memory, and trouble. */
  private static final Map<String, String> STORE_PROPERTIES = Map.of(
      "ordo.store.sst.bytes", "rocksdb.total-sst-files-size",
      "ordo.store.blob.bytes", "rocksdb.total-blob-file-size",
      "ordo.store.live.data.bytes", "rocksdb.estimate-live-data-size",
      "ordo.store.memtable.bytes", "rocksdb.cur-size-all-mem-tables",
      "ordo.store.pending.compaction.bytes", "rocksdb.estimate-pending-compaction-bytes",
      "ordo.store.background.errors", "rocksdb.background-errors");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  /** What {@link #watchPartitions} gave; until then no partition is reported. */
  private volatile Supplier<Collection<PartitionReplica>> replicas = List::of;
  private volatile Supplier<MetadataView> metadata;
  private final MultiGauge startOffsets;
  private final MultiGauge endOffsets;
  private final MultiGauge storedBytes;
  private final MultiGauge leading;
  private final MultiGauge underReplicated;
  private final MultiGauge failed;
  private final MultiGauge groupLag;
  private final MultiGauge queueUndelivered;
  private final MultiGauge queueInFlight;
  private final MultiGauge queueWaiting;
  private final MultiGauge queueDead;
  private final WriteStages writeStages;
  private final Timer raftLogSyncs;
  private final SnapshotEvents snapshots;

  public NodeMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    gc.bindTo(registry);
    startOffsets = multiGauge("ordo.partition.start.offset",
        "The partition's first offset still held on this replica");
    endOffsets = multiGauge("ordo.partition.end.offset",
        "The offset the partition's next record gets, as this replica has applied it");
    storedBytes = multiGauge("ordo.partition.stored.bytes",
        "Bytes of the partition's records this replica stores (what retention.bytes bounds and compaction shrinks)");
    leading = multiGauge("ordo.partition.leader",
        "1 where this node leads the partition, 0 where it follows");
    underReplicated = multiGauge("ordo.partition.under.replicated",
        "1 where this node leads the partition and heard from fewer than all its replicas recently");
    failed = multiGauge("ordo.partition.replica.failed",
        "1 where this node's replica stopped because it could not apply an entry or store its log (a full or failing"
        + " disk, a bug): it is out of its group until the node restarts");
    groupLag = multiGauge("ordo.group.lag",
        "Records a stream group has yet to read in a partition this node leads: end offset minus committed"
        + " offset (partitions where the group committed)");
    queueUndelivered = multiGauge("ordo.queue.undelivered",
        "Records of a partition this node leads that a queue group has not yet delivered to anyone");
    queueInFlight = multiGauge("ordo.queue.in.flight",
        "Records a queue group has leased to consumers and not yet settled, in a partition this node leads");
    queueWaiting = multiGauge("ordo.queue.waiting",
        "Records a queue group holds back for a retry after a nack or an expired lease, in a partition this node leads");
    queueDead = multiGauge("ordo.queue.dead",
        "A queue group's dead letters in a partition this node leads (listable and redrivable)");
    Timer queued = stageTimer("queued", "accepted until handed to Raft (waiting behind the entry in flight, packing)");
    Timer replicated = stageTimer("replicated", "handed to Raft until applied here: log fsyncs, replication, commit");
    Timer applied = stageTimer("applied", "the state machine and the store write of its round, until answered");
    Timer total = Timer.builder("ordo.write")
        .description("A write this node leads, from accepted until answered")
        .publishPercentileHistogram()
        .minimumExpectedValue(SHORTEST_WRITE)
        .maximumExpectedValue(LONGEST_WRITE)
        .register(registry);
    raftLogSyncs = Timer.builder("ordo.raft.log.sync")
        .description("A synced append to the node's Raft log (one fsync for the appends of many groups):"
            + " the disk's share of the replicated stage, on a leader and on its followers")
        .publishPercentileHistogram()
        .minimumExpectedValue(SHORTEST_WRITE)
        .maximumExpectedValue(LONGEST_WRITE)
        .register(registry);
    writeStages = (queuedNanos, replicatedNanos, appliedNanos) -> {
      queued.record(queuedNanos, TimeUnit.NANOSECONDS);
      replicated.record(replicatedNanos, TimeUnit.NANOSECONDS);
      applied.record(appliedNanos, TimeUnit.NANOSECONDS);
      total.record(queuedNanos + replicatedNanos + appliedNanos, TimeUnit.NANOSECONDS);
    };
    Timer written = Timer.builder("ordo.snapshot.written")
        .description("Partition snapshots this node took (its store flushed, so the Raft log can be cut short), and"
            + " how long each took")
        .register(registry);
    Timer exported = Timer.builder("ordo.snapshot.exported")
        .description("Copies of a partition this node exported for a follower to install, and how long each took")
        .register(registry);
    Counter exportedBytes = Counter.builder("ordo.snapshot.exported.bytes")
        .description("Bytes of the partition copies this node exported for followers")
        .register(registry);
    Timer installed = Timer.builder("ordo.snapshot.installed")
        .description("Partition snapshots this node installed: at a restart, or sent by a leader that no longer had the"
            + " log entries a replica here lacked (catch-up)")
        .register(registry);
    snapshots = new SnapshotEvents() {
      @Override
      public void written(long nanos) {
        written.record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void exported(long bytes, long nanos) {
        exported.record(nanos, TimeUnit.NANOSECONDS);
        exportedBytes.increment(bytes);
      }

      @Override
      public void installed(long nanos) {
        installed.record(nanos, TimeUnit.NANOSECONDS);
      }
    };
  }

  private MultiGauge multiGauge(String name, String description) {
    return MultiGauge.builder(name).description(description).register(registry);
  }

  private Timer stageTimer(String stage, String description) {
    return Timer.builder("ordo.write.stage")
        .description("A stage of a write this node leads; stage " + stage + ": " + description)
        .tag("stage", stage)
        .publishPercentileHistogram()
        .minimumExpectedValue(SHORTEST_WRITE)
        .maximumExpectedValue(LONGEST_WRITE)
        .register(registry);
  }

  /**
   * Reports the partition replicas {@code replicas} lists from now on, named after {@code
   * metadata}'s topics. (The replicas are made after this, as they report to {@link #writeStages}.)
   */
  public void watchPartitions(Supplier<Collection<PartitionReplica>> replicas, Supplier<MetadataView> metadata) {
    this.metadata = metadata;
    this.replicas = replicas;
  }

  /**
   * Reports a RocksDB store's sizes and background errors (a full disk shows there first), tagged
   * {@code store}; read when scraped.
   */
  public void watchStore(String store, ToLongFunction<String> property) {
    STORE_PROPERTIES.forEach((metric, rocksProperty) ->
        Gauge.builder(metric, () -> property.applyAsLong(rocksProperty))
            .description("RocksDB's " + rocksProperty + " of each of the node's stores (tag store: data, raft-log)")
            .tag("store", store)
            .register(registry));
  }

  /**
   * Times the client port's calls per service, method and status code
   * (grpc_server_processing_duration_seconds, a histogram: call and error rates and latency of every
   * RPC) and counts their messages per method (grpc_server_requests_received_messages_total,
   * grpc_server_responses_sent_messages_total).
   */
  public ServerInterceptor grpcCalls() {
    return new MetricCollectingServerInterceptor(registry, counter -> counter, timer -> timer
        .publishPercentileHistogram()
        .minimumExpectedValue(SHORTEST_WRITE)
        .maximumExpectedValue(LONGEST_WRITE));
  }

  /**
   * Counts the partition requests of ProduceMany calls by outcome, "appended" or the error code they
   * failed with (ordo_produce_requests_total): such a call succeeds as a whole even when some of
   * its requests fail, so the gRPC metrics do not show their failures.
   */
  public Consumer<String> produceOutcomes() {
    Map<String, Counter> counters = new ConcurrentHashMap<>();
    return outcome -> counters.computeIfAbsent(outcome, o -> Counter.builder("ordo.produce.requests")
        .description("Partition requests of ProduceMany calls, by outcome: appended, or the error code")
        .tag("outcome", o)
        .register(registry)).increment();
  }

  /** Reports the calls the client port serves at once, and their bound. */
  public void watchCalls(IntSupplier active, int max) {
    Gauge.builder("ordo.grpc.calls", active::getAsInt)
        .description("Calls the client port serves now, streams included; past the max, calls are refused OVERLOADED")
        .register(registry);
    Gauge.builder("ordo.grpc.calls.max", () -> max)
        .description("The bound on ordo_grpc_calls (--max-concurrent-calls)")
        .register(registry);
  }

  /** Reports the bytes the partitions this node leads hold waiting for commit, and their bound. */
  public void watchPendingBytes(PendingBytes pending) {
    Gauge.builder("ordo.pending.bytes", pending, PendingBytes::held)
        .description("Bytes the partitions this node leads hold waiting for commit, together; past the max, writes are refused OVERLOADED")
        .register(registry);
    Gauge.builder("ordo.pending.bytes.max", pending, PendingBytes::max)
        .description("The bound on ordo_pending_bytes (--max-pending-bytes)")
        .register(registry);
  }

  /** Reports the reads the node's partitions keep parked, together, and their bound. */
  public void watchParkedReads(ParkedReads parked) {
    Gauge.builder("ordo.parked.reads", parked, ParkedReads::held)
        .description("Long-polls, caught-up subscriptions and consume streams waiting for records on this node's partitions")
        .register(registry);
    Gauge.builder("ordo.parked.reads.max", parked, ParkedReads::max)
        .description("The bound on ordo_parked_reads (--max-parked-reads)")
        .register(registry);
  }

  /** Where the node's partition replicas report their snapshots. */
  public SnapshotEvents snapshots() {
    return snapshots;
  }

  /** Where the node's replicas report their writes' stages. */
  public WriteStages writeStages() {
    return writeStages;
  }

  /** Where the node's Raft log reports how long each synced append took, in nanoseconds. */
  public LongConsumer raftLogSyncs() {
    return nanos -> raftLogSyncs.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Every metric, in Prometheus' text exposition format. */
  public String scrape() {
    refreshPartitions();
    return registry.scrape();
  }

  private void refreshPartitions() {
    Supplier<Collection<PartitionReplica>> replicas = this.replicas;
    Map<Long, TopicRecord> topics = new HashMap<>();
    for (TopicRecord topic : metadata == null ? List.<TopicRecord>of() : metadata.get().topics().values()) {
      topics.put(topic.getTopicId(), topic);
    }
    List<MultiGauge.Row<?>> starts = new ArrayList<>();
    List<MultiGauge.Row<?>> ends = new ArrayList<>();
    List<MultiGauge.Row<?>> stored = new ArrayList<>();
    List<MultiGauge.Row<?>> leaders = new ArrayList<>();
    List<MultiGauge.Row<?>> under = new ArrayList<>();
    List<MultiGauge.Row<?>> stopped = new ArrayList<>();
    for (PartitionReplica replica : replicas.get()) {
      TopicRecord topic = topics.get(replica.id().topicId());
      int partition = replica.id().partition();
      if (topic == null || partition >= topic.getPartitionsCount()) {
        continue; // deleted, and about to be stopped here
      }
      Tags tags = Tags.of("topic", topic.getName(), "partition", Integer.toString(partition));
      starts.add(MultiGauge.Row.of(tags, replica.startOffset()));
      ends.add(MultiGauge.Row.of(tags, replica.endOffset()));
      stored.add(MultiGauge.Row.of(tags, replica.storedBytes()));
      boolean leader = replica.isLeader();
      leaders.add(MultiGauge.Row.of(tags, leader ? 1 : 0));
      int replicaCount = topic.getPartitions(partition).getReplicasCount();
      under.add(MultiGauge.Row.of(tags, leader && replica.alivePeerIds().size() < replicaCount ? 1 : 0));
      stopped.add(MultiGauge.Row.of(tags, replica.failure().isPresent() ? 1 : 0));
    }
    startOffsets.register(starts, true);
    endOffsets.register(ends, true);
    storedBytes.register(stored, true);
    leading.register(leaders, true);
    underReplicated.register(under, true);
    failed.register(stopped, true);
    refreshGroups(replicas.get(), topics);
  }

  /** Group lag and queue depths, reported by the leader of each partition (so sums across nodes count each once). */
  private void refreshGroups(Collection<PartitionReplica> replicas, Map<Long, TopicRecord> topics) {
    Map<String, List<String>> streamGroupsByTopic = new HashMap<>();
    for (GroupRecord group : metadata == null ? List.<GroupRecord>of() : metadata.get().groups()) {
      if (!group.hasQueue()) {
        group.getTopicsList().forEach(t -> streamGroupsByTopic.computeIfAbsent(t, k -> new ArrayList<>()).add(group.getName()));
      }
    }
    List<MultiGauge.Row<?>> lag = new ArrayList<>();
    List<MultiGauge.Row<?>> undelivered = new ArrayList<>();
    List<MultiGauge.Row<?>> inFlight = new ArrayList<>();
    List<MultiGauge.Row<?>> waiting = new ArrayList<>();
    List<MultiGauge.Row<?>> dead = new ArrayList<>();
    for (PartitionReplica replica : replicas) {
      TopicRecord topic = topics.get(replica.id().topicId());
      if (topic == null || !replica.isLeader()) {
        continue;
      }
      String partition = Integer.toString(replica.id().partition());
      long end = replica.endOffset();
      for (String group : streamGroupsByTopic.getOrDefault(topic.getName(), List.of())) {
        try {
          replica.groupOffset(group).ifPresent(committed -> lag.add(MultiGauge.Row.of(
              Tags.of("group", group, "topic", topic.getName(), "partition", partition),
              Math.max(0, end - committed.getCommittedOffset()))));
        } catch (RuntimeException e) {
          // a replica being stopped: its other metrics still go out, and the next scrape has it or not
        }
      }
      replica.queueSummaries().forEach((group, summary) -> {
        Tags tags = Tags.of("group", group, "topic", topic.getName(), "partition", partition);
        undelivered.add(MultiGauge.Row.of(tags, Math.max(0, end - summary.progress().getCursor())));
        inFlight.add(MultiGauge.Row.of(tags, summary.leased()));
        waiting.add(MultiGauge.Row.of(tags, summary.waiting()));
        dead.add(MultiGauge.Row.of(tags, summary.dead()));
      });
    }
    groupLag.register(lag, true);
    queueUndelivered.register(undelivered, true);
    queueInFlight.register(inFlight, true);
    queueWaiting.register(waiting, true);
    queueDead.register(dead, true);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
