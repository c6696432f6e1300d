package io.ordo.raft.compaction;

import io.ordo.proto.raft.v1.CompactLog;
import io.ordo.proto.raft.v1.StoredBatch;
import io.ordo.proto.v1.Record;
import io.ordo.raft.storage.PartitionStore;
import java.util.Optional;

/**
 * One compaction pass over a partition's log, planned by its leader in its own store. The plan
 * maps each key to its latest offset over the log from its start up to {@link #upper()}; a
 * record is removed if a later record of its key is in that range, and a tombstone that is its
 * key's latest once it is older than the pass's tombstone cut-off (it then goes together with
 * every earlier record of its key, in this chunk or one before it, which is why chunks apply in
 * order). Keyless records are kept.
 *
 * <p>The pass ends before the partition's last batch (its end is the log's end offset), before a
 * batch younger than min.compaction.lag.ms, before any record a queue group has not finished, and
 * before the batch whose keys would pass {@link #MAX_KEYS}; the next pass goes on from there.
 */
public final class CompactionPass {
  /** Distinct keys one pass maps, at most (24 bytes each): the bound on a pass's memory. */
  public static final int MAX_KEYS = 250_000;
  /** One chunk rewrites at most this many batches, or this many stored bytes, or lists this many runs. */
  static final int MAX_CHUNK_BATCHES = 1_000;
  static final long MAX_CHUNK_BYTES = 16L * 1024 * 1024;
  static final int MAX_CHUNK_RUNS = 16_384;

  private final PartitionStore store;
  private final long pass;
  private final long upper;
  private final long tombstonesBeforeMs;
  private final LatestOffsets latest;
  private long cursor;
  private boolean started;
  /** The log time of the oldest tombstone the chunks so far kept for being too young to go. */
  private long oldestKeptTombstoneMs = Long.MAX_VALUE;

  private CompactionPass(PartitionStore store, long pass, long start, long upper, long tombstonesBeforeMs, LatestOffsets latest) {
    this.store = store;
    this.pass = pass;
    this.cursor = start;
    this.upper = upper;
    this.tombstonesBeforeMs = tombstonesBeforeMs;
    this.latest = latest;
  }

  /**
   * Plans pass {@code pass} over the log from {@code startOffset} (its start) up to at most {@code
   * limit} (a batch's base offset): batches appended at or after {@code youngFromMs} are not
   * compacted, nor tombstones appended at or after {@code tombstonesBeforeMs}. Empty if there is
   * nothing to pass over.
   */
  public static Optional<CompactionPass> plan(
      PartitionStore store, long pass, long startOffset, long limit, long youngFromMs, long tombstonesBeforeMs, int maxKeys) {
    LatestOffsets latest = new LatestOffsets(maxKeys);
    long[] upper = {limit};
    store.forEachBatch(startOffset, limit, (base, batch, bytes) -> {
      if (batch.getTimestampMs() >= youngFromMs || !latest.fits(batch.getRecordsCount())) {
        upper[0] = base;
        return false;
      }
      for (int i = 0; i < batch.getRecordsCount(); i++) {
        Record record = batch.getRecords(i);
        if (!record.getKey().isEmpty()) {
          latest.put(record.getKey(), PartitionStore.offsetOf(batch, base, i));
        }
      }
      return true;
    });
    return upper[0] <= startOffset
        ? Optional.empty()
        : Optional.of(new CompactionPass(store, pass, startOffset, upper[0], tombstonesBeforeMs, latest));
  }

  /** Where the pass ends: the records below it are compacted once it is done. */
  public long upper() {
    return upper;
  }

  /** The log time of the oldest tombstone the pass kept only for its age; Long.MAX_VALUE if none. */
  public long oldestKeptTombstoneMs() {
    return oldestKeptTombstoneMs;
  }

  /** Whether every chunk was planned. */
  public boolean done() {
    return cursor >= upper;
  }

  /** The next chunk to propose, from where the last one ended. */
  public CompactLog nextChunk() {
    CompactLog.Builder chunk = CompactLog.newBuilder().setPass(pass).setStartsPass(!started).setFromOffset(cursor);
    started = true;
    long[] runStart = {-1};
    long[] runEnd = {cursor};
    long[] lastRunEnd = {cursor};
    int[] batches = {0};
    long[] bytes = {0};
    long[] to = {upper};
    store.forEachBatch(cursor, upper, (base, batch, stored) -> {
      if (batches[0] >= MAX_CHUNK_BATCHES || bytes[0] >= MAX_CHUNK_BYTES || chunk.getRemovedRunsCount() >= 2 * MAX_CHUNK_RUNS) {
        to[0] = base;
        return false;
      }
      boolean touched = false;
      for (int i = 0; i < batch.getRecordsCount(); i++) {
        long offset = PartitionStore.offsetOf(batch, base, i);
        if (removable(batch, i, offset)) {
          touched = true;
          if (runStart[0] < 0) {
            runStart[0] = offset;
          }
          runEnd[0] = offset + 1;
        } else if (runStart[0] >= 0) {
          // A run may span holes and batch boundaries: offsets without records are removed already.
          chunk.addRemovedRuns(runStart[0] - lastRunEnd[0]).addRemovedRuns(runEnd[0] - runStart[0]);
          lastRunEnd[0] = runEnd[0];
          runStart[0] = -1;
        }
      }
      if (touched) {
        batches[0]++;
        bytes[0] += stored;
      }
      return true;
    });
    if (runStart[0] >= 0) {
      chunk.addRemovedRuns(runStart[0] - lastRunEnd[0]).addRemovedRuns(runEnd[0] - runStart[0]);
    }
    cursor = to[0];
    return chunk.setToOffset(to[0]).setEndsPass(cursor >= upper).build();
  }

  private boolean removable(StoredBatch batch, int i, long offset) {
    Record record = batch.getRecords(i);
    if (record.getKey().isEmpty()) {
      return false;
    }
    if (latest.get(record.getKey()) > offset) {
      return true;
    }
    if (record.getTombstone() && batch.getTimestampMs() >= tombstonesBeforeMs) {
      oldestKeptTombstoneMs = Math.min(oldestKeptTombstoneMs, batch.getTimestampMs());
      return false;
    }
    return record.getTombstone();
  }
}
