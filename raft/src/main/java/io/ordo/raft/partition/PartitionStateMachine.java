package io.ordo.raft.partition;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.ordo.proto.raft.v1.AppendOpView;
import io.ordo.proto.raft.v1.AppendRecordsView;
import io.ordo.proto.raft.v1.CompactLog;
import io.ordo.proto.raft.v1.EarlierAppend;
import io.ordo.proto.raft.v1.GroupOffset;
import io.ordo.proto.raft.v1.PartitionCommandView;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.proto.raft.v1.ProducerState;
import io.ordo.proto.raft.v1.StoredBatch;
import io.ordo.proto.raft.v1.StoredBatchView;
import io.ordo.proto.raft.v1.TrimLog;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.raft.consumer.GroupOffsets;
import io.ordo.raft.queue.QueueGroups;
import io.ordo.raft.queue.StoredQueueGroup;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.storage.PartitionStore;
import io.ordo.raft.storage.PartitionWrites;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The deterministic core of a partition replica. It reads only the command and its own state: no
 * clock, no randomness, no configuration, so every replica that applies the same log writes the
 * same bytes.
 *
 * <p>Invariants, checked on every apply: the applied index only grows; offsets are contiguous from
 * the start offset; batch timestamps never go backwards.
 *
 * <p>Stream groups' committed offsets and partition owners are kept by {@link GroupOffsets}, queue
 * groups' leases, retries and dead letters by {@link QueueGroups}, in the same apply round as the
 * records they point into.
 *
 * <p>Idempotent producers: the machine remembers each producer's last {@link #REMEMBERED_APPENDS}
 * committed appends. One of them again (a retry: its first sequence) is not appended but answered
 * with the original base offset and record count, whatever records the retry carries; an append
 * older than the last is refused (OUT_OF_ORDER_SEQUENCE). Sequences may skip ahead (a producer
 * whose request failed for good moves on), except in an append that follows its previous one
 * (pipelined): it is appended only directly after the last, else refused (SEQUENCE_GAP). At most {@link #MAX_PRODUCERS} producers are remembered;
 * past that the one that appended longest ago (by log time) is forgotten, and a retry of its last
 * request would be appended again.
 */
public final class PartitionStateMachine {
  /** Idempotent producers a partition remembers. */
  public static final int MAX_PRODUCERS = 10_000;
  /**
   * Appends remembered per producer: a retry of any of them is answered with its offsets, so a
   * producer may pipeline that many requests to a partition (ordo.v1.ProduceRequest).
   */
  public static final int REMEMBERED_APPENDS = 5;

  /** What applying one command did: one result per op, in order, and the command's log time. */
  public record Applied(List<OpResult> results, long timestampMs) {}

  private PartitionState state;
  private final Map<Long, ProducerState> producers = new HashMap<>();
  private final GroupOffsets groups = new GroupOffsets(List.of());
  private final QueueGroups queues = new QueueGroups(Map.of());
  /** Counts applied queue ops and resets, so a reader can tell whether the queue groups changed. */
  private long queueChanges;

  public PartitionStateMachine(
      PartitionState initial,
      List<ProducerState> initialProducers,
      List<GroupOffset> initialGroups,
      Map<String, StoredQueueGroup> initialQueues) {
    reset(initial, initialProducers, initialGroups, initialQueues);
  }

  public PartitionState state() {
    return state;
  }

  /** Whether the entry at {@code index} is already reflected in the state (a replay after restart). */
  public boolean isApplied(long index) {
    return index <= state.getAppliedIndex();
  }

  /**
   * Applies the command encoded in {@code entry} (a PartitionCommand) at log index {@code index},
   * staging its effects in {@code writes}.
   *
   * @throws IllegalStateException if {@code index} was already applied (the caller must skip
   *     those) or the entry is not a command
   */
  public Applied apply(long index, ByteBuffer entry, PartitionWrites writes) {
    if (isApplied(index)) {
      throw new IllegalStateException("index " + index + " is at or below applied index " + state.getAppliedIndex());
    }
    PartitionCommandView command;
    try {
      command = PartitionCommandView.parseFrom(aliasing(UnsafeByteOperations.unsafeWrap(entry)));
    } catch (IOException e) {
      throw new IllegalStateException("undecodable command at index " + index, e);
    }
    long timestamp = Math.max(command.getTimestampMs(), state.getLastTimestampMs());
    state = state.toBuilder().setLastTimestampMs(timestamp).build();
    List<OpResult> results = new ArrayList<>(command.getOpsCount());
    for (ByteString encoded : command.getOpsList()) {
      results.add(apply(index, encoded, timestamp, writes));
    }
    state = state.toBuilder().setAppliedIndex(index).build();
    writes.putState(state);
    return new Applied(results, timestamp);
  }

  private OpResult apply(long index, ByteString encoded, long timestamp, PartitionWrites writes) {
    PartitionOp op;
    try {
      // Appends, nearly every op, keep their records encoded; any other op is decoded in full.
      AppendOpView append = AppendOpView.parseFrom(aliasing(encoded));
      if (append.hasAppend() && append.getUnknownFields().asMap().isEmpty()) {
        return append(append.getAppend(), timestamp, writes);
      }
      op = PartitionOp.parseFrom(encoded);
    } catch (IOException e) {
      throw new IllegalStateException("undecodable op at index " + index, e);
    }
    queueChanges++;
    return switch (op.getOpCase()) {
      case CLAIM_PARTITION -> groups.claim(
          op.getClaimPartition(), state.getStartOffset(), state.getNextOffset(), timestamp, writes);
      case COMMIT_OFFSET -> groups.commit(op.getCommitOffset(), state.getNextOffset(), timestamp, writes);
      case RESET_GROUP_OFFSET -> groups.reset(
          op.getResetGroupOffset(), state.getStartOffset(), state.getNextOffset(), timestamp, writes);
      case DELETE_GROUP_OFFSET -> groups.delete(op.getDeleteGroupOffset(), writes);
      case CONFIGURE_QUEUE -> queues.configure(
          op.getConfigureQueue(), state.getStartOffset(), state.getNextOffset(), writes);
      case ACQUIRE_RECORDS -> queues.acquire(op.getAcquireRecords(), state.getNextOffset(), timestamp, writes, writes);
      case SETTLE_RECORDS -> queues.settle(op.getSettleRecords(), timestamp, writes);
      case EXPIRE_LEASES -> queues.expire(timestamp, writes);
      case REDRIVE_DEAD_LETTERS -> queues.redrive(op.getRedriveDeadLetters(), timestamp, writes);
      case MARK_DEAD_LETTERS_EXPORTED -> queues.markExported(op.getMarkDeadLettersExported(), writes);
      case TRIM_LOG -> trim(op.getTrimLog(), writes);
      case COMPACT_LOG -> compact(op.getCompactLog(), writes);
      // An op from a newer version (an append among them, if it came with fields unknown here):
      // its effect is unknown here, so applying past it would diverge from replicas that know
      // it. Stop the replica instead (see PartitionApplier).
      default -> throw new UnknownCommandException("unknown partition op " + op.getOpCase() + " at index " + index);
    };
  }

  /**
   * A decoder whose `bytes` fields share {@code encoded}'s memory instead of copying it: they are
   * read within the apply, never kept.
   */
  private static CodedInputStream aliasing(ByteString encoded) {
    CodedInputStream in = encoded.newCodedInput();
    in.enableAliasing(true);
    return in;
  }

  private OpResult append(AppendRecordsView append, long timestamp, PartitionWrites writes) {
    long next = state.getNextOffset();
    int count = append.getRecordsCount();
    if (append.getProducerId() != 0) {
      ProducerState last = producers.get(append.getProducerId());
      OpResult refusedOrRepeated = checkSequence(last, append);
      if (refusedOrRepeated != null) {
        return refusedOrRepeated;
      }
      ProducerState.Builder updated =
          ProducerState.newBuilder()
              .setProducerId(append.getProducerId())
              .setLastFirstSequence(append.getFirstSequence())
              .setLastRecordCount(count)
              .setLastBaseOffset(next)
              .setLastTimestampMs(timestamp);
      if (last != null) {
        updated.addEarlier(EarlierAppend.newBuilder()
            .setFirstSequence(last.getLastFirstSequence())
            .setRecordCount(last.getLastRecordCount())
            .setBaseOffset(last.getLastBaseOffset()));
        updated.addAllEarlier(last.getEarlierList().subList(0, Math.min(last.getEarlierCount(), REMEMBERED_APPENDS - 2)));
      }
      if (producers.put(append.getProducerId(), updated.build()) == null && producers.size() > MAX_PRODUCERS) {
        forgetOldestProducer(writes);
      }
      writes.putProducer(producers.get(append.getProducerId()));
    }
    if (count > 0) {
      StoredBatchView batch = StoredBatchView.newBuilder().setTimestampMs(timestamp).addAllRecords(append.getRecordsList()).build();
      writes.putBatch(next, batch);
      state = state.toBuilder()
          .setNextOffset(next + count)
          .setStoredBytes(state.getStoredBytes() + batch.getSerializedSize())
          .build();
    }
    return new OpResult.Appended(next, count);
  }

  /**
   * Deletes the oldest batches, unless the log no longer starts where the proposer saw it start, a
   * compaction chunk changed batches since the proposer counted their bytes, or a queue group has
   * not finished a record they hold.
   */
  private OpResult trim(TrimLog trim, PartitionWrites writes) {
    long from = state.getStartOffset();
    long to = trim.getStartOffset();
    if (trim.getFromOffset() != from) {
      return new OpResult.Refused(
          ErrorCode.INVALID_REQUEST, "the log starts at " + from + " now, not at the " + trim.getFromOffset() + " the trim was for");
    }
    if (trim.getCompactionPass() != state.getCompactionPass() || trim.getCompactionCursor() != state.getCompactionCursor()) {
      return new OpResult.Refused(
          ErrorCode.INVALID_REQUEST, "compaction changed the batches since the trim counted their bytes");
    }
    if (to <= from || to > state.getNextOffset() || to > queues.lowestUnfinished()) {
      return new OpResult.Refused(
          ErrorCode.INVALID_REQUEST,
          "cannot start the log at " + to + ": it holds " + from + ".." + state.getNextOffset()
              + " and a queue group still needs offset " + queues.lowestUnfinished() + " on");
    }
    writes.deleteBatches(from, to);
    state = state.toBuilder()
        .setStartOffset(to)
        .setStoredBytes(Math.max(0, state.getStoredBytes() - trim.getBytes()))
        .build();
    return new OpResult.Trimmed(to);
  }

  /**
   * Removes the records a compaction chunk lists from the batches it covers, unless the chunk does
   * not follow the last applied one of its pass, reaches the last batch, lists offsets outside its
   * range, or covers records a queue group has not finished. Offsets below the log's start are
   * skipped: a trim in the same round deleted them.
   */
  private OpResult compact(CompactLog compact, PartitionWrites writes) {
    long from = compact.getFromOffset();
    long to = compact.getToOffset();
    if (!compact.getStartsPass()
        && (compact.getPass() != state.getCompactionPass() || from != state.getCompactionCursor())) {
      return new OpResult.Refused(ErrorCode.INVALID_REQUEST, "compaction chunk " + from + ".." + to + " of pass "
          + compact.getPass() + " does not follow the last one applied (pass " + state.getCompactionPass() + " up to "
          + state.getCompactionCursor() + ")");
    }
    long lastBase = writes.lastBatchBase();
    if (from > to || to > lastBase || to > queues.lowestUnfinished()) {
      return new OpResult.Refused(ErrorCode.INVALID_REQUEST, "cannot compact " + from + ".." + to
          + ": the last batch starts at " + lastBase + " and a queue group still needs offset " + queues.lowestUnfinished() + " on");
    }
    List<long[]> runs = new ArrayList<>();
    long runEnd = from;
    for (int i = 0; i + 1 < compact.getRemovedRunsCount(); i += 2) {
      long start = runEnd + compact.getRemovedRuns(i);
      long length = compact.getRemovedRuns(i + 1);
      if (compact.getRemovedRuns(i) < 0 || length <= 0 || start + length > to) {
        return new OpResult.Refused(ErrorCode.INVALID_REQUEST, "compaction chunk " + from + ".." + to + " lists offsets outside it");
      }
      runs.add(new long[] {start, start + length});
      runEnd = start + length;
    }
    // Only the batches holding removed records are read; none below the start (a batch boundary,
    // though the batch that began there may be gone: then the one before it holds no offset here).
    NavigableMap<Long, StoredBatch> batches = new TreeMap<>();
    for (long[] removed : runs) {
      if (removed[1] > state.getStartOffset()) {
        writes.batches(Math.max(removed[0], state.getStartOffset()), removed[1]).forEach(batches::putIfAbsent);
      }
    }
    batches.headMap(state.getStartOffset()).clear();
    long removedRecords = 0;
    long removedBytes = 0;
    int run = 0;
    for (Map.Entry<Long, StoredBatch> entry : batches.entrySet()) {
      long base = entry.getKey();
      StoredBatch batch = entry.getValue();
      StoredBatch.Builder kept = StoredBatch.newBuilder().setTimestampMs(batch.getTimestampMs());
      for (int i = 0; i < batch.getRecordsCount(); i++) {
        long offset = PartitionStore.offsetOf(batch, base, i);
        while (run < runs.size() && runs.get(run)[1] <= offset) {
          run++;
        }
        if (run < runs.size() && runs.get(run)[0] <= offset) {
          continue;
        }
        kept.addRecords(batch.getRecords(i)).addOffsetDeltas((int) (offset - base));
      }
      int removed = batch.getRecordsCount() - kept.getRecordsCount();
      if (removed == 0) {
        continue;
      }
      removedRecords += removed;
      if (kept.getRecordsCount() == 0) {
        writes.deleteBatch(base);
        removedBytes += batch.getSerializedSize();
      } else {
        StoredBatch rewritten = kept.build();
        writes.putBatch(base, rewritten);
        removedBytes += batch.getSerializedSize() - rewritten.getSerializedSize();
      }
    }
    PartitionState.Builder updated = state.toBuilder()
        .setStoredBytes(Math.max(0, state.getStoredBytes() - removedBytes))
        .setCompactionPass(compact.getPass())
        .setCompactionCursor(to);
    if (compact.getEndsPass()) {
      updated.setCompactedTo(to);
    }
    state = updated.build();
    return new OpResult.Compacted(removedRecords, removedBytes);
  }

  /**
   * Null if the producer's append may go ahead; else what to answer instead: a repeated append's
   * original offsets, or why it is refused.
   */
  private static OpResult checkSequence(ProducerState last, AppendRecordsView append) {
    long first = append.getFirstSequence();
    if (last == null) {
      // Unknown (new, or forgotten): a pipelined append cannot tell whether what it follows is
      // missing, so it waits for the producer's first one.
      return append.getFollowsPrevious()
          ? gap("the producer's request before it is not appended here", first)
          : null;
    }
    if (first == last.getLastFirstSequence()) {
      return new OpResult.Appended(last.getLastBaseOffset(), last.getLastRecordCount());
    }
    for (EarlierAppend earlier : last.getEarlierList()) {
      if (first == earlier.getFirstSequence()) {
        return new OpResult.Appended(earlier.getBaseOffset(), earlier.getRecordCount());
      }
    }
    long end = last.getLastFirstSequence() + last.getLastRecordCount();
    if (first < end) {
      return new OpResult.Refused(
          ErrorCode.OUT_OF_ORDER_SEQUENCE,
          "a later request from this producer is already committed; this one was committed before, at offsets"
              + " no longer on record");
    }
    if (append.getFollowsPrevious() && first != end) {
      return gap("the producer's last append here ends at sequence " + end, first);
    }
    return null;
  }

  private static OpResult gap(String why, long first) {
    return new OpResult.Refused(
        ErrorCode.SEQUENCE_GAP,
        "request at sequence " + first + " follows a previous one, but " + why
            + "; nothing appended: resend the unanswered requests in order");
  }

  /** Forgets the producer whose last append is oldest in log time (lowest id on a tie). */
  private void forgetOldestProducer(PartitionWrites writes) {
    ProducerState oldest = null;
    for (ProducerState p : producers.values()) {
      if (oldest == null
          || p.getLastTimestampMs() < oldest.getLastTimestampMs()
          || (p.getLastTimestampMs() == oldest.getLastTimestampMs() && p.getProducerId() < oldest.getProducerId())) {
        oldest = p;
      }
    }
    producers.remove(oldest.getProducerId());
    writes.deleteProducer(oldest.getProducerId());
  }

  /**
   * Records that every entry up to {@code index} is reflected in the state although none after the
   * current applied index changed it (an empty entry, or Raft's own configuration entries, which
   * jraft does not pass to the state machine). Does nothing if {@code index} is already applied.
   */
  public void advanceTo(long index, PartitionWrites writes) {
    if (isApplied(index)) {
      return;
    }
    state = state.toBuilder().setAppliedIndex(index).build();
    writes.putState(state);
  }

  /** Replaces the state with one installed from a snapshot or read back from the store. */
  public void reset(
      PartitionState installed,
      List<ProducerState> installedProducers,
      List<GroupOffset> installedGroups,
      Map<String, StoredQueueGroup> installedQueues) {
    state = installed;
    producers.clear();
    installedProducers.forEach(p -> producers.put(p.getProducerId(), p));
    groups.reset(installedGroups);
    queues.reset(installedQueues);
    queueChanges++;
  }

  /** A count that changes whenever the queue groups may have changed. */
  public long queueChanges() {
    return queueChanges;
  }

  /** The queue groups: read them on the apply thread only. */
  public QueueGroups queues() {
    return queues;
  }

  /** A command this version cannot apply. */
  public static final class UnknownCommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnknownCommandException(String message) {
      super(message);
    }
  }
}
