package io.ordo.node.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.raft.metadata.MetadataView;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.partition.PendingBytes;
import io.ordo.raft.partition.WriteStages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A node's metrics, in Prometheus' text format: the JVM's, each partition replica's offsets and
 * leadership (read when scraped), and how long the writes this node leads spend in each stage
 * (see {@link WriteStages}) as histograms, so a tail can be put down to a stage.
 */
public final class NodeMetrics implements AutoCloseable {
  private static final Duration SHORTEST_WRITE = Duration.ofNanos(50_000);
  private static final Duration LONGEST_WRITE = Duration.ofSeconds(30);

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  /** What {@link #watchPartitions} gave; until then no partition is reported. */
  private volatile Supplier<Collection<PartitionReplica>> replicas = List::of;
  private volatile Supplier<MetadataView> metadata;
  private final MultiGauge startOffsets;
  private final MultiGauge endOffsets;
  private final MultiGauge leading;
  private final MultiGauge underReplicated;
  private final WriteStages writeStages;

  public NodeMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    gc.bindTo(registry);
    startOffsets = MultiGauge.builder("ordo.partition.start.offset")
        .description("The partition's first offset still held on this replica").register(registry);
    endOffsets = MultiGauge.builder("ordo.partition.end.offset")
        .description("The offset the partition's next record gets, as this replica has applied it").register(registry);
    leading = MultiGauge.builder("ordo.partition.leader")
        .description("1 where this node leads the partition, 0 where it follows").register(registry);
    underReplicated = MultiGauge.builder("ordo.partition.under.replicated")
        .description("1 where this node leads the partition and heard from fewer than all its replicas recently")
        .register(registry);
    Timer queued = stageTimer("queued", "accepted until handed to Raft (waiting behind the entry in flight, packing)");
    Timer replicated = stageTimer("replicated", "handed to Raft until applied here: log fsyncs, replication, commit");
    Timer applied = stageTimer("applied", "the state machine and the store write of its round, until answered");
    Timer total = Timer.builder("ordo.write")
        .description("A write this node leads, from accepted until answered")
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

  /** Reports the bytes the partitions this node leads hold waiting for commit, and their bound. */
  public void watchPendingBytes(PendingBytes pending) {
    Gauge.builder("ordo.pending.bytes", pending, PendingBytes::held)
        .description("Bytes the partitions this node leads hold waiting for commit, together; past the max, writes are refused OVERLOADED")
        .register(registry);
    Gauge.builder("ordo.pending.bytes.max", pending, PendingBytes::max)
        .description("The bound on ordo_pending_bytes (--max-pending-bytes)")
        .register(registry);
  }

  /** Where the node's replicas report their writes' stages. */
  public WriteStages writeStages() {
    return writeStages;
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
    List<MultiGauge.Row<?>> leaders = new ArrayList<>();
    List<MultiGauge.Row<?>> under = new ArrayList<>();
    for (PartitionReplica replica : replicas.get()) {
      TopicRecord topic = topics.get(replica.id().topicId());
      int partition = replica.id().partition();
      if (topic == null || partition >= topic.getPartitionsCount()) {
        continue; // deleted, and about to be stopped here
      }
      Tags tags = Tags.of("topic", topic.getName(), "partition", Integer.toString(partition));
      starts.add(MultiGauge.Row.of(tags, replica.startOffset()));
      ends.add(MultiGauge.Row.of(tags, replica.endOffset()));
      boolean leader = replica.isLeader();
      leaders.add(MultiGauge.Row.of(tags, leader ? 1 : 0));
      int replicaCount = topic.getPartitions(partition).getReplicasCount();
      under.add(MultiGauge.Row.of(tags, leader && replica.alivePeerRaftAddresses().size() < replicaCount ? 1 : 0));
    }
    startOffsets.register(starts, true);
    endOffsets.register(ends, true);
    leading.register(leaders, true);
    underReplicated.register(under, true);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
