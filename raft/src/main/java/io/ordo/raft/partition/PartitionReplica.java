package io.ordo.raft.partition;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.entity.LeaderChangeContext;
import com.alipay.sofa.jraft.entity.Task;
import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotReader;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotWriter;
import io.ordo.proto.raft.v1.ExpireLeases;
import io.ordo.proto.raft.v1.GroupOffset;
import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.proto.raft.v1.QueueRecordState;
import io.ordo.proto.raft.v1.TrimLog;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.raft.compaction.CompactionPass;
import io.ordo.raft.compaction.CompactionSettings;
import io.ordo.raft.queue.QueueGroups;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.replica.RaftMember;
import io.ordo.raft.replica.ReplicaError;
import io.ordo.raft.snapshot.SnapshotSource;
import io.ordo.raft.storage.PartitionStore;
import io.ordo.raft.storage.StorageException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition's replica on this node, bound to its jraft group.
 *
 * <p>Writes: {@link #propose} queues ops (appends, and later group and queue ops) on the leader;
 * queued ops are packed into one Raft entry per proposal round, so under load many client batches
 * share an entry, a replication message and an fsync. The apply thread is the only writer of the
 * partition's data ({@link PartitionApplier}); it completes ops only after their entry is
 * committed (a majority has it fsynced) and applied.
 *
 * <p>Reads: {@link #read} serves applied, hence committed, records from any thread.
 *
 * <p>A snapshot is the store, flushed; a follower that must install one gets an export of the
 * partition's state and records as they are when it asks ({@link io.ordo.raft.snapshot}).
 */
public final class PartitionReplica extends RaftMember implements SnapshotSource {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionReplica.class);
  static final String SNAPSHOT_FILE = "partition.snap";
  /** Batches one trim deletes, at most, so one apply stays bounded; the next trim goes on from there. */
  public static final int MAX_TRIM_BATCHES = 10_000;

  private final PartitionId id;
  private final PartitionStore store;
  private final ReplicaEnvironment env;
  private final PartitionApplier applier;

  /** Start and end of the applied log, published after each apply round's write. */
  private volatile long startOffset;
  private volatile long endOffset;
  /**
   * The queue groups' summaries, their earliest lease end and the lowest offset any has not
   * finished (which retention keeps), published when they change.
   */
  private volatile Map<String, QueueGroups.Summary> queueSummaries = Map.of();
  private volatile long nextLeaseEndMs = Long.MAX_VALUE;
  private volatile long lowestUnfinished = Long.MAX_VALUE;
  private long publishedQueueChanges = -1;

  private final ProposalQueue pending;
  private final AtomicBoolean proposing = new AtomicBoolean();
  private final AtomicBoolean expiringLeases = new AtomicBoolean();
  private final AtomicBoolean trimming = new AtomicBoolean();
  private final AtomicBoolean compacting = new AtomicBoolean();
  /** Where the last finished compaction pass ended, published with the start and end. */
  private volatile long compactedTo;
  /** The compaction pass under way and its cursor, as the last apply round left them. */
  private volatile long compactionPass;
  private volatile long compactionCursor;
  /** When the oldest tombstone the last pass kept may go, by the leader's clock (this leader's passes only). */
  private volatile long tombstonesDueMs = Long.MAX_VALUE;
  /** The stored bytes of the applied log, published with its start and end. */
  private volatile long storedBytes;
  /** The election timeout to go back to once the group has a leader (see {@link #campaignFirst}); 0: none. */
  private final AtomicInteger electionTimeoutToRestore = new AtomicInteger();
  private final AppendWaiters appendWaiters;
  /** Bytes of log entries applied since the last snapshot. Apply thread only. */
  private long logBytesSinceSnapshot;
  /** When {@link #logBytesSinceSnapshot} reaches this, a snapshot is asked for. Apply thread only. */
  private long snapshotDueAtLogBytes;

  public PartitionReplica(PartitionId id, PartitionStore store, ReplicaEnvironment env) {
    this.id = id;
    this.store = store;
    this.env = env;
    this.applier = new PartitionApplier(store);
    this.pending = new ProposalQueue(env.maxPendingBytes(), env.nodePendingBytes());
    this.appendWaiters = new AppendWaiters(env.maxParkedReads(), env.nodeParkedReads(), env.executor());
    countLogFromSnapshot();
    publish(applier.state());
  }

  public PartitionId id() {
    return id;
  }

  public long startOffset() {
    return startOffset;
  }

  public long endOffset() {
    return endOffset;
  }

  /** The stored bytes of the applied log's batches. */
  public long storedBytes() {
    return storedBytes;
  }

  // ---- writes ----

  /**
   * Proposes {@code op} (of {@code bytes} counted against the pending limit) if this replica
   * leads; the callback has its result once committed and applied. Ops waiting for a proposal are
   * packed many to a Raft entry. An op is proposed only in the term it was accepted in, and only
   * while its callback is not {@link OpCallback#abandoned() abandoned}.
   */
  public void propose(PartitionOp op, int bytes, OpCallback callback) {
    long term = leaderTerm();
    if (term <= 0 || !isLeader()) {
      callback.onFailed(notLeader());
      return;
    }
    switch (pending.offer(new ProposalQueue.Pending(op, bytes, term, callback, System.nanoTime()))) {
      case QUEUED -> {}
      case PARTITION_FULL -> {
        callback.onFailed(new ReplicaError(ErrorCode.OVERLOADED,
            "partition " + id + " has " + env.maxPendingBytes() + " bytes waiting for commit; retry later", null));
        return;
      }
      case NODE_FULL -> {
        callback.onFailed(new ReplicaError(ErrorCode.OVERLOADED,
            "the partitions this node leads have " + env.nodePendingBytes().max()
                + " bytes waiting for commit together; retry later", null));
        return;
      }
    }
    // The caller proposes when no one else is: handing every write to the work pool cost a
    // thread wake-up on the write's path. Ops queued meanwhile go into the proposer's next entry.
    if (proposing.compareAndSet(false, true)) {
      proposePending();
    }
  }

  /**
   * If this replica leads and a queue group's lease here has ended by the leader's clock, proposes
   * ending the due leases (one proposal at a time): consumers that receive end them too, but an
   * idle partition must as well, so its records are redelivered and its counts are true.
   */
  public void expireDueLeases() {
    if (!isLeader() || nextLeaseEndMs > env.clock().getAsLong() || !expiringLeases.compareAndSet(false, true)) {
      return;
    }
    PartitionOp expire = PartitionOp.newBuilder().setExpireLeases(ExpireLeases.getDefaultInstance()).build();
    propose(expire, 0, clearing(expiringLeases));
  }

  /**
   * If this replica leads, proposes deleting the oldest batches that retention lets go (one trim
   * at a time, of at most {@link #MAX_TRIM_BATCHES}): those the leader appended more than {@code
   * retentionMs} ago by its clock, and the oldest while the partition stores more than {@code
   * retentionBytes} (-1: no bound, for either). Never a record a queue group has not finished.
   */
  public void applyRetention(long retentionMs, long retentionBytes) {
    if (!isLeader() || (retentionMs < 0 && retentionBytes < 0) || !trimming.compareAndSet(false, true)) {
      return;
    }
    long start = startOffset;
    // Read before the plan: a compaction chunk applied after these are read refuses the trim.
    long pass = compactionPass;
    long cursor = compactionCursor;
    PartitionStore.Trim trim;
    try {
      trim = store.planTrim(
          start,
          lowestUnfinished,
          retentionMs < 0 ? Long.MIN_VALUE : env.clock().getAsLong() - retentionMs,
          retentionBytes < 0 ? 0 : storedBytes - retentionBytes,
          MAX_TRIM_BATCHES);
    } catch (StorageException e) {
      trimming.set(false);
      LOG.warn("partition {}: cannot read its oldest batches for retention: {}", id, e.getMessage());
      return;
    }
    if (trim.startOffset() == start) {
      trimming.set(false);
      return;
    }
    TrimLog op = TrimLog.newBuilder()
        .setFromOffset(start)
        .setStartOffset(trim.startOffset())
        .setBytes(trim.bytes())
        .setCompactionPass(pass)
        .setCompactionCursor(cursor)
        .build();
    propose(PartitionOp.newBuilder().setTrimLog(op).build(), 0, clearing(trimming));
  }

  /**
   * If this replica leads and enough of its log is cleanable (min.cleanable.dirty.ratio of its
   * stored bytes appended since the last pass, old enough for min.compaction.lag.ms), plans a
   * compaction pass on {@code compactor} and proposes it chunk after chunk, each once the one
   * before it applied. One pass at a time; a refused or failed chunk ends it.
   */
  public void compact(CompactionSettings settings, Executor compactor) {
    if (!isLeader() || !compacting.compareAndSet(false, true)) {
      return;
    }
    runCompaction(compactor, () -> planPass(settings, compactor));
  }

  private void planPass(CompactionSettings settings, Executor compactor) {
    long start = startOffset;
    long limit = Math.min(store.lastBatchBase(), lowestUnfinished);
    long from = Math.max(start, compactedTo);
    long now = env.clock().getAsLong();
    long youngFromMs = now - settings.minCompactionLagMs();
    // A tombstone an earlier pass kept for its age goes once it is old enough, even if nothing was appended since.
    boolean tombstonesDue = now >= tombstonesDueMs && limit > start;
    boolean dirty = limit > from
        && store.storedBytesBetween(from, limit, youngFromMs) >= settings.minCleanableDirtyRatio() * storedBytes;
    if (!isLeader() || !(dirty || tombstonesDue)) {
      compacting.set(false);
      return;
    }
    Optional<CompactionPass> pass = CompactionPass.plan(
        store, ThreadLocalRandom.current().nextLong(), start, limit, youngFromMs, now - settings.deleteRetentionMs(),
        CompactionPass.MAX_KEYS);
    if (pass.isEmpty()) {
      compacting.set(false);
      return;
    }
    proposeChunk(pass.get(), settings, compactor);
  }

  private void proposeChunk(CompactionPass pass, CompactionSettings settings, Executor compactor) {
    PartitionOp chunk = PartitionOp.newBuilder().setCompactLog(pass.nextChunk()).build();
    propose(chunk, 0, new OpCallback() {
      @Override
      public void onApplied(OpResult result, long timestampMs) {
        if (result instanceof OpResult.Compacted && !pass.done()) {
          runCompaction(compactor, () -> proposeChunk(pass, settings, compactor));
        } else {
          if (result instanceof OpResult.Compacted) {
            long oldest = pass.oldestKeptTombstoneMs();
            tombstonesDueMs = oldest == Long.MAX_VALUE ? Long.MAX_VALUE : oldest + settings.deleteRetentionMs();
          }
          if (result instanceof OpResult.Refused refused) {
            LOG.info("partition {}: compaction pass ended early: {}", id, refused.message());
          }
          compacting.set(false);
        }
      }

      @Override
      public void onFailed(ReplicaError error) {
        compacting.set(false);
      }
    });
  }

  /** Runs a step of compaction on {@code compactor}; whatever goes wrong ends the pass, so the next may start. */
  private void runCompaction(Executor compactor, Runnable step) {
    try {
      compactor.execute(() -> {
        try {
          step.run();
        } catch (RuntimeException e) {
          compacting.set(false);
          LOG.warn("partition {}: compaction stopped: {}", id, e.toString());
        }
      });
    } catch (RejectedExecutionException e) {
      compacting.set(false); // the node is closing
    }
  }

  /** A callback that clears {@code inFlight} however the proposal ends: one proposal of its kind at a time. */
  private static OpCallback clearing(AtomicBoolean inFlight) {
    return new OpCallback() {
      @Override
      public void onApplied(OpResult result, long timestampMs) {
        inFlight.set(false);
      }

      @Override
      public void onFailed(ReplicaError error) {
        inFlight.set(false);
      }
    };
  }

  private void proposePending() {
    try {
      do {
        long term = leaderTerm();
        List<ProposalQueue.Pending> entry = pending.nextEntry(term, env.maxEntryBytes(), this::refuse);
        if (!entry.isEmpty()) {
          propose(entry, term);
        }
      } while (!pending.isEmpty());
    } finally {
      // Ops left queued hold bytes of the node's shared bound: whatever happened, go on draining.
      proposing.set(false);
      // An op queued after the loop's last check but before the flag cleared would wait forever.
      if (!pending.isEmpty() && proposing.compareAndSet(false, true)) {
        env.executor().execute(this::proposePending);
      }
    }
  }

  private void refuse(ProposalQueue.Pending op, ProposalQueue.Refusal refusal) {
    op.callback().onFailed(
        switch (refusal) {
          case OTHER_TERM -> new ReplicaError(
              ErrorCode.LEADER_NOT_AVAILABLE,
              "leadership of partition " + id + " changed before the request was proposed; it was not applied",
              leaderRaftAddress());
          case ABANDONED -> new ReplicaError(
              ErrorCode.OVERLOADED,
              "partition " + id + " did not propose the request before its caller gave up; it was not applied",
              null);
        });
  }

  private void propose(List<ProposalQueue.Pending> entry, long term) {
    PartitionCommand.Builder command = PartitionCommand.newBuilder().setTimestampMs(env.clock().getAsLong());
    long entryBytes = 0;
    for (ProposalQueue.Pending p : entry) {
      command.addOps(p.op());
      entryBytes += p.bytes();
    }
    EntryClosure closure = new EntryClosure(entry, entryBytes);
    Node n = node();
    if (n == null) {
      closure.run(new Status(RaftError.EPERM, "not the leader"));
      return;
    }
    try {
      // expectedTerm: jraft refuses an entry of a term this node no longer leads, never appends it.
      n.apply(new Task(ByteBuffer.wrap(command.build().toByteArray()), closure, term));
    } catch (IllegalStateException shuttingDown) {
      // jraft ran the closure (refused, bytes released) before throwing.
    }
  }

  /** Why this replica cannot serve as leader: NOT_LEADER naming the leader, or LEADER_NOT_AVAILABLE while there is none. */
  public ReplicaError notLeader() {
    String leader = leaderRaftAddress();
    return leader == null
        ? new ReplicaError(ErrorCode.LEADER_NOT_AVAILABLE, "partition " + id + " has no leader right now", null)
        : new ReplicaError(ErrorCode.NOT_LEADER, "this node does not lead partition " + id, leader);
  }

  /** Completes the ops packed into one Raft entry. */
  private final class EntryClosure implements Closure {
    private final List<ProposalQueue.Pending> group;
    private final long groupBytes;
    private final long proposedNanos = System.nanoTime();
    private long applyingNanos;
    private PartitionStateMachine.Applied applied;

    EntryClosure(List<ProposalQueue.Pending> group, long groupBytes) {
      this.group = group;
      this.groupBytes = groupBytes;
    }

    @Override
    public void run(Status status) {
      pending.release(groupBytes);
      if (status.isOk() && applied != null) {
        long answeredNanos = System.nanoTime();
        for (int i = 0; i < group.size(); i++) {
          ProposalQueue.Pending op = group.get(i);
          env.stages().record(
              proposedNanos - op.acceptedNanos(), applyingNanos - proposedNanos, answeredNanos - applyingNanos);
          op.callback().onApplied(applied.results().get(i), applied.timestampMs());
        }
        return;
      }
      ReplicaError error;
      if (status.getRaftError() == RaftError.EBUSY) {
        error = new ReplicaError(ErrorCode.OVERLOADED, "partition " + id + " is busy: " + status.getErrorMsg(), null);
      } else if (status.getRaftError() == RaftError.EPERM && !isLeader()) {
        // Refused before or after it reached the log: another leader may still commit it.
        ReplicaError notLeader = notLeader();
        error =
            new ReplicaError(
                ErrorCode.OUTCOME_UNKNOWN,
                "leadership of partition " + id + " changed while writing; the records may or may not be committed",
                notLeader.leaderRaftAddress());
      } else {
        error =
            new ReplicaError(
                ErrorCode.OUTCOME_UNKNOWN,
                "partition " + id + " could not confirm the write (" + status.getErrorMsg()
                    + "); the records may or may not be committed",
                leaderRaftAddress());
      }
      for (ProposalQueue.Pending p : group) {
        p.callback().onFailed(error);
      }
    }
  }

  // ---- reads ----

  /** A stream group's committed offset and owner here, as of the last apply round. */
  public Optional<GroupOffset> groupOffset(String group) {
    return store.readGroupOffset(group);
  }

  /** Each queue group's summary here, by name, as of the last apply round that changed one. */
  public Map<String, QueueGroups.Summary> queueSummaries() {
    return queueSummaries;
  }

  /** When the earliest lease of a queue group here ends, in log time; {@link Long#MAX_VALUE} if none. */
  public long nextLeaseEndMs() {
    return nextLeaseEndMs;
  }

  /** The group's dead-lettered records here from {@code fromOffset}, at most {@code max}, as last applied. */
  public PartitionStore.QueueRecords deadLetters(String group, long fromOffset, int max) {
    return store.readQueueRecords(group, fromOffset, max, r -> r.getState() == QueueRecordState.QUEUE_RECORD_DEAD);
  }

  /** Committed records from {@code offset}; empty at the end of the log. */
  public List<ConsumedRecord> read(long offset, int maxRecords, int maxBytes) {
    return store.read(offset, endOffset, maxRecords, maxBytes);
  }

  /** The stored batches holding committed records from {@code offset} on (see {@link PartitionStore#readBatches}). */
  public PartitionStore.StoredBatches readBatches(long offset, int maxRecords, int maxBytes) {
    return store.readBatches(offset, endOffset, maxRecords, maxBytes);
  }

  /**
   * Runs {@code wakeUp} (on the environment's executor) after the next apply round or leadership
   * change. Callers check the end offset again after registering, so no append is missed, and
   * cancel the returned handle when they are answered another way.
   *
   * @return the parked read's handle, or null when this partition already has the environment's
   *     {@link ReplicaEnvironment#maxParkedReads() maximum} parked, or the node its {@link
   *     ReplicaEnvironment#nodeParkedReads() bound} (then {@link #parkRefusal} says which)
   */
  public AppendWaiters.Waiter onNextAppend(Runnable wakeUp) {
    return appendWaiters.park(wakeUp);
  }

  /** Why {@link #onNextAppend} refused, for a person. */
  public String parkRefusal() {
    return appendWaiters.full()
        ? "partition " + id + " has " + appendWaiters.capacity() + " reads waiting for records already"
        : "the node has " + env.nodeParkedReads().max() + " reads waiting for records across its partitions already";
  }

  private void wakeWaiters() {
    appendWaiters.wakeAll();
  }

  // ---- the state machine ----

  @Override
  public void onApply(Iterator iter) {
    List<Closure> completions = new ArrayList<>();
    int consumed = 0;
    long logBytes = 0;
    try (PartitionApplier.Round round = applier.newRound()) {
      while (iter.hasNext()) {
        consumed++;
        Closure done = iter.done();
        ByteBuffer data = entryData(iter);
        logBytes += data == null ? 0 : data.remaining();
        if (done instanceof EntryClosure entry) { // this leader's own proposal: time its stages
          entry.applyingNanos = System.nanoTime();
          entry.applied = round.apply(iter.getIndex(), data);
        } else {
          round.apply(iter.getIndex(), data);
        }
        if (done != null) {
          completions.add(done);
        }
        iter.next();
      }
      round.commit();
    } catch (RuntimeException e) {
      // The round's writes were discarded, so the whole round is rolled back, not just this
      // entry; jraft then fails every closure from the round's first entry on (the replica
      // stops, and the entries may still be committed elsewhere: their outcome is unknown).
      stopApplying(iter, consumed, e);
      return;
    }
    publish(applier.state());
    completions.forEach(done -> done.run(Status.OK()));
    wakeWaiters();
    logBytesSinceSnapshot += logBytes;
    if (logBytesSinceSnapshot >= snapshotDueAtLogBytes) {
      askForSnapshot();
    }
  }

  private void countLogFromSnapshot() {
    logBytesSinceSnapshot = 0;
    snapshotDueAtLogBytes = env.snapshotLogBytes();
  }

  /**
   * Asks jraft for a snapshot now: it truncates the log to the snapshot before, so a group's log
   * stays within about twice {@link ReplicaEnvironment#snapshotLogBytes} at any write rate. Asked
   * again only after as many bytes more, as jraft may decline (one is being taken, too few entries).
   */
  private void askForSnapshot() {
    snapshotDueAtLogBytes = logBytesSinceSnapshot + env.snapshotLogBytes();
    Node n = node();
    if (n != null) {
      // Not on the apply thread: jraft takes the node's lock, which its own threads may hold while
      // they wait for room in the apply thread's queue.
      env.executor().execute(() -> n.snapshot(status -> {
        if (!status.isOk()) {
          LOG.debug("partition {}: snapshot for the log's size not taken: {}", id, status);
        }
      }));
    }
  }

  private void publish(PartitionState state) {
    startOffset = state.getStartOffset();
    storedBytes = state.getStoredBytes();
    compactedTo = state.getCompactedTo();
    compactionPass = state.getCompactionPass();
    compactionCursor = state.getCompactionCursor();
    endOffset = state.getNextOffset();
    PartitionStateMachine machine = applier.machine();
    if (machine.queueChanges() != publishedQueueChanges) {
      publishedQueueChanges = machine.queueChanges();
      queueSummaries = machine.queues().summaries();
      nextLeaseEndMs = machine.queues().nextLeaseEndMs();
      lowestUnfinished = machine.queues().lowestUnfinished();
    }
  }

  @Override
  public void onSnapshotSave(SnapshotWriter writer, Closure done) {
    // The store may be past the snapshot's index (replaying the log after a restart, it skips what
    // it holds): a restart or a follower's copy then starts from further on, which is as good.
    long lastIncluded = writer.getCurrentMeta().getLastIncludedIndex();
    countLogFromSnapshot(); // on the apply thread: every entry applied so far is in the snapshot
    try (PartitionApplier.Round round = applier.newRound()) {
      // Entries after the last command (Raft configuration entries) are covered by the snapshot;
      // record that, so a restart does not replay them.
      round.advanceTo(lastIncluded);
      round.commit();
    } catch (RuntimeException e) {
      done.run(new Status(RaftError.EIO, "partition %s: snapshot failed: %s", id, e.getMessage()));
      return;
    }
    env.snapshotExecutor().execute(() -> flushForSnapshot(done));
  }

  /**
   * The snapshot is the store itself: jraft drops the log up to here once told it is done, so the
   * store must be on disk as far first. A follower that installs it gets {@link #exportTo}'s copy.
   */
  private void flushForSnapshot(Closure done) {
    long startNanos = System.nanoTime();
    try {
      store.flush();
    } catch (RuntimeException e) {
      LOG.error("partition {}: flushing the store for a snapshot failed", id, e);
      done.run(new Status(RaftError.EIO, "partition %s: snapshot failed: %s", id, e.getMessage()));
      return;
    }
    env.snapshots().written(System.nanoTime() - startNanos);
    done.run(Status.OK());
  }

  @Override
  public String snapshotFileName() {
    return SNAPSHOT_FILE;
  }

  @Override
  public CompletableFuture<Void> exportTo(Path file) {
    return CompletableFuture.runAsync(
        () -> {
          long startNanos = System.nanoTime();
          // Any thread may freeze the store: each apply round is one atomic write, so the copy is
          // the state after some round, at or past the snapshot's index.
          try (PartitionStore.Export export = store.freeze();
              FileOutputStream fos = new FileOutputStream(file.toFile());
              BufferedOutputStream out = new BufferedOutputStream(fos, 1 << 16)) {
            export.writeTo(out);
            out.flush();
            fos.getFD().sync();
            env.snapshots().exported(fos.getChannel().size(), System.nanoTime() - startNanos);
          } catch (IOException | RuntimeException e) {
            LOG.error("partition {}: exporting a snapshot to {} failed", id, file, e);
            throw new CompletionException(e);
          }
        },
        env.snapshotExecutor());
  }

  @Override
  public boolean onSnapshotLoad(SnapshotReader reader) {
    var meta = reader.load();
    if (meta == null) {
      LOG.error("partition {}: snapshot in {} has no meta", id, reader.getPath());
      return false;
    }
    countLogFromSnapshot();
    long snapshotIndex = meta.getLastIncludedIndex();
    if (applier.state().getAppliedIndex() >= snapshotIndex) {
      return true;
    }
    Path file = Path.of(reader.getPath(), SNAPSHOT_FILE);
    if (!Files.exists(file)) {
      // A local snapshot is taken only once the store is flushed past it: the store lost writes.
      LOG.error(
          "partition {}: the store holds index {}, behind the local snapshot at {}, which keeps no copy of the data;"
              + " remove this replica's data so it is copied from the leader",
          id, applier.state().getAppliedIndex(), snapshotIndex);
      return false;
    }
    long startNanos = System.nanoTime();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      PartitionState installed = store.importFrom(in);
      if (installed.getAppliedIndex() < snapshotIndex) {
        LOG.error(
            "partition {}: snapshot at index {} holds state for index {}",
            id, snapshotIndex, installed.getAppliedIndex());
        return false;
      }
      // An export made after the snapshot may be ahead of it: the applier skips the entries it holds.
      applier.reload();
      publish(installed);
      env.snapshots().installed(System.nanoTime() - startNanos);
      LOG.info("partition {}: installed snapshot at index {} (state at {}), offsets {}..{}",
          id, snapshotIndex, installed.getAppliedIndex(), installed.getStartOffset(), installed.getNextOffset());
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.error("partition {}: loading snapshot {} failed", id, file, e);
      return false;
    }
  }

  @Override
  protected void onLeadershipChange() {
    wakeWaiters();
    restoreElectionTimeout();
    // Ops still queued from the lost term are refused as not applied, their bytes freed.
    if (!pending.isEmpty() && proposing.compareAndSet(false, true)) {
      env.executor().execute(this::proposePending);
    }
  }

  @Override
  public void onStartFollowing(LeaderChangeContext ctx) {
    super.onStartFollowing(ctx);
    restoreElectionTimeout();
  }

  /**
   * Has this replica, the preferred leader of a partition whose group is brand new, campaign after
   * {@code firstMs} instead of the group's election timeout, which the other replicas wait out: a
   * new partition then has a leader, and takes writes, in about a second, and on the node
   * placement chose. Once the group has a leader it goes back to {@code normalMs}.
   */
  public void campaignFirst(int firstMs, int normalMs) {
    Node n = node();
    if (n == null || n.getLastLogIndex() != 0) {
      return; // not brand new: its group may have a leader already, whom a short timeout would disturb
    }
    electionTimeoutToRestore.set(normalMs);
    n.resetElectionTimeoutMs(firstMs);
  }

  private void restoreElectionTimeout() {
    int normalMs = electionTimeoutToRestore.getAndSet(0);
    Node n = node();
    if (normalMs > 0 && n != null) {
      // Not on the apply thread: jraft takes the node's lock, which its own threads may hold while
      // they wait for room in the apply thread's queue.
      env.executor().execute(() -> n.resetElectionTimeoutMs(normalMs));
    }
  }

  @Override
  public String toString() {
    return "partition " + id;
  }
}
