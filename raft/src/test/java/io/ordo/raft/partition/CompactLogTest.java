package io.ordo.raft.partition;

import static io.ordo.raft.partition.Commands.append;
import static io.ordo.raft.partition.Commands.command;
import static io.ordo.raft.partition.Commands.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.raft.v1.CompactLog;
import io.ordo.proto.raft.v1.ConfigureQueue;
import io.ordo.proto.raft.v1.GroupStart;
import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.TrimLog;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.Record;
import io.ordo.proto.v1.RecordBatch;
import io.ordo.raft.compaction.CompactionPass;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.storage.DataStore;
import io.ordo.raft.storage.PartitionStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction passes planned from the store as a leader plans them ({@link CompactionPass}) and
 * applied chunk by chunk as every replica applies them.
 */
class CompactLogTest {
  private static final long NOW = 100_000;

  @TempDir Path dir;
  private DataStore data;
  private PartitionStore store;
  private StoreApplier replica;
  private long index;

  @BeforeEach
  void open() throws IOException {
    data = DataStore.open(dir);
    store = data.partition(1);
    replica = new StoreApplier(store);
  }

  @AfterEach
  void close() {
    data.close();
  }

  /** Every command applied, in order, for a replica that replays them. */
  private final List<PartitionCommand> applied = new ArrayList<>();

  private OpResult apply(long timestampMs, PartitionOp op) {
    applied.add(command(timestampMs, op));
    return replica.apply(++index, applied.get(applied.size() - 1)).results().get(0);
  }

  private static PartitionOp compact(CompactLog chunk) {
    return PartitionOp.newBuilder().setCompactLog(chunk).build();
  }

  private static Record tombstone(String key) {
    return Record.newBuilder().setKey(Commands.utf8(key)).setTombstone(true).build();
  }

  /** Plans a pass as a leader does at {@link #NOW} and applies all its chunks; returns how many there were. */
  private int compactAll(long deleteRetentionMs) {
    CompactionPass pass = plan(deleteRetentionMs).orElseThrow();
    int chunks = 0;
    while (!pass.done()) {
      assertThat(apply(NOW, compact(pass.nextChunk()))).isInstanceOf(OpResult.Compacted.class);
      chunks++;
    }
    return chunks;
  }

  private java.util.Optional<CompactionPass> plan(long deleteRetentionMs) {
    return CompactionPass.plan(store, 7, replica.machine().state().getStartOffset(), store.lastBatchBase(), NOW,
        NOW - deleteRetentionMs, CompactionPass.MAX_KEYS);
  }

  private List<ConsumedRecord> all() {
    return store.read(0, replica.machine().state().getNextOffset(), 100_000, Integer.MAX_VALUE);
  }

  /** Offset -> key=value of every record, tombstones as key=null. */
  private Map<Long, String> contents() {
    return contents(store, replica.machine().state().getNextOffset());
  }

  private static Map<Long, String> contents(PartitionStore store, long end) {
    Map<Long, String> out = new LinkedHashMap<>();
    for (ConsumedRecord r : store.read(0, end, 100_000, Integer.MAX_VALUE)) {
      out.put(r.getOffset(), r.getKey().toStringUtf8() + "=" + (r.getTombstone() ? "null" : r.getValue().toStringUtf8()));
    }
    return out;
  }

  /** Three batches updating keys a, b, c, then a last batch. */
  private void updates() {
    apply(1_000, append(List.of(record("a", "a1"), record("b", "b1"), record("c", "c1"))));   // 0-2
    apply(2_000, append(List.of(record("a", "a2"), record("b", "b2"))));                      // 3-4
    apply(3_000, append(List.of(record("a", "a3"), tombstone("c"))));                         // 5-6
    apply(4_000, append(List.of(record("b", "b3"), record("a", "a4"))));                      // 7-8, the last batch
  }

  @Test
  void eachKeysLatestRecordStaysAtItsOffsetAndTheLastBatchIsUntouched() {
    updates();
    long storedBefore = replica.machine().state().getStoredBytes();

    compactAll(NOW); // tombstones are young: kept

    // Keys in the pass (below the last batch at 7): their latest there; c's tombstone and c1 before it
    // stay until delete.retention.ms passes. The last batch is kept whole.
    assertThat(contents()).containsExactly(
        Map.entry(4L, "b=b2"), Map.entry(5L, "a=a3"), Map.entry(6L, "c=null"), Map.entry(7L, "b=b3"), Map.entry(8L, "a=a4"));
    assertThat(replica.machine().state().getNextOffset()).isEqualTo(9);
    assertThat(replica.machine().state().getCompactedTo()).isEqualTo(7);
    // The stored bytes count what is stored: the first batch is gone, the second lost a record.
    long stored = 0;
    for (RecordBatch batch : batches()) {
      stored += batch.toBuilder().clearBaseOffset().build().getSerializedSize();
    }
    assertThat(replica.machine().state().getStoredBytes()).isEqualTo(stored).isLessThan(storedBefore);
  }

  @Test
  void aTombstoneGoesWithItsKeysEarlierRecordsOnceDeleteRetentionPassed() {
    updates();

    compactAll(NOW - 3_000); // c's tombstone, appended at 3000, is not older than the cut-off (3000): kept
    assertThat(contents()).containsKey(6L);

    compactAll(NOW - 3_001);

    assertThat(contents()).doesNotContainKey(6L).doesNotContainKey(2L);
    assertThat(contents().values()).noneMatch(v -> v.startsWith("c="));
  }

  @Test
  void readersSeeHolesAsSkippedOffsetsInBothForms() {
    updates();
    compactAll(NOW);

    PartitionStore.StoredBatches read = store.readBatches(3, 9, 1_000, 1 << 20);

    assertThat(offsetsOf(read)).containsExactly(4L, 5L, 6L, 7L, 8L);
    assertThat(read.nextOffset()).isEqualTo(9);
    assertThat(store.read(0, 9, 2, 1 << 20)).extracting(ConsumedRecord::getOffset).containsExactly(4L, 5L);
    assertThat(store.read(5, 9, 100, 1 << 20)).extracting(ConsumedRecord::getOffset).containsExactly(5L, 6L, 7L, 8L);
  }

  @Test
  void aReaderGoingBatchByBatchPassesOverABatchCompactionRemoved() {
    apply(1_000, append(List.of(record("x", "x1"))));                      // 0, kept whole
    apply(2_000, append(List.of(record("a", "a1"), record("b", "b1"))));   // 1-2, all superseded: removed
    apply(3_000, append(List.of(record("a", "a2"), record("b", "b2"))));   // 3-4
    apply(4_000, append(List.of(record("z", "z1"))));                      // 5, the last batch
    compactAll(NOW);
    long end = replica.machine().state().getNextOffset();

    // The batch at 0 ends at 1, where nothing is left: a fetch from 1 moves on to 3, and sends no
    // batch that holds nothing from 1 on.
    assertThat(batches(store.readBatches(1, end, 100, 1 << 20))).extracting(RecordBatch::getBaseOffset).containsExactly(3L, 5L);
    List<Long> offsets = new ArrayList<>();
    long offset = 0;
    for (int fetches = 0; offset < end && fetches < 10; fetches++) {
      PartitionStore.StoredBatches read = store.readBatches(offset, end, 1, 1 << 20);
      offsets.addAll(offsetsOf(read));
      offset = read.nextOffset();
    }

    assertThat(offsets).containsExactly(0L, 3L, 4L, 5L);
    assertThat(offset).isEqualTo(end);
  }

  @Test
  void aPassTooLargeForOneChunkGoesInChunksAppliedInOrder() {
    for (int i = 0; i < 1_200; i++) {
      apply(1_000 + i, append(List.of(record("k" + (i % 10), "v" + i))));
    }

    int chunks = compactAll(NOW);

    assertThat(chunks).isEqualTo(2);
    assertThat(all()).hasSize(10 + 1); // each key's latest below the last batch, and the last batch
    assertThat(replica.machine().state().getCompactedTo()).isEqualTo(1_199);
  }

  @Test
  void aChunkThatDoesNotFollowTheLastAppliedOneChangesNothing() {
    for (int i = 0; i < 1_200; i++) {
      apply(1_000 + i, append(List.of(record("k" + (i % 10), "v" + i))));
    }
    CompactionPass stale = plan(NOW).orElseThrow();
    CompactionPass current = plan(NOW).orElseThrow();
    CompactLog staleFirst = stale.nextChunk();
    CompactLog staleSecond = stale.nextChunk();
    apply(NOW, compact(current.nextChunk().toBuilder().setPass(8).build()));
    long stored = replica.machine().state().getStoredBytes();

    // The old pass's second chunk after another pass began: its tombstones could outlive what they delete.
    assertThat(apply(NOW, compact(staleSecond))).isInstanceOf(OpResult.Refused.class);
    // A chunk of the current pass that skips one.
    assertThat(apply(NOW, compact(staleSecond.toBuilder().setPass(8).setFromOffset(1_100).build())))
        .isInstanceOf(OpResult.Refused.class);
    assertThat(replica.machine().state().getStoredBytes()).isEqualTo(stored);
    // A pass's first chunk always applies: it holds everything its removals rest on.
    assertThat(apply(NOW, compact(staleFirst))).isInstanceOf(OpResult.Compacted.class);
  }

  @Test
  void theLastBatchAndRecordsAQueueGroupNeedsAreNeverCompacted() {
    updates();
    CompactLog reachingTheLastBatch = CompactLog.newBuilder()
        .setPass(1).setStartsPass(true).setFromOffset(0).setToOffset(8).addRemovedRuns(7).addRemovedRuns(1).build();
    assertThat(apply(NOW, compact(reachingTheLastBatch))).isInstanceOf(OpResult.Refused.class);

    QueuePolicy policy = QueuePolicy.newBuilder().setMaxDeliveries(3).setLeaseMs(1_000).setMaxLeased(100).setMaxUnfinished(1_000).build();
    apply(NOW, PartitionOp.newBuilder()
        .setConfigureQueue(ConfigureQueue.newBuilder().setGroup("jobs").setPolicy(policy).setStart(GroupStart.GROUP_START_EARLIEST))
        .build());
    CompactLog first = plan(NOW).orElseThrow().nextChunk();
    assertThat(apply(NOW, compact(first))).isInstanceOf(OpResult.Refused.class);
    assertThat(all()).hasSize(9);
  }

  @Test
  void aTrimInTheSameRoundIsNotUndoneByACompactionAfterIt() {
    apply(1_000, append(List.of(record("a", "a1"), record("d", "d1")))); // 0-1
    apply(2_000, append(List.of(record("a", "a2"))));                     // 2
    apply(3_000, append(List.of(record("a", "a3"))));                     // 3, the last batch
    CompactLog chunk = plan(NOW).orElseThrow().nextChunk(); // removes a1, which would leave d1 rewritten
    long batchBytes = store.planTrim(0, Long.MAX_VALUE, Long.MAX_VALUE, 0, 1).bytes();
    PartitionOp trim = PartitionOp.newBuilder()
        .setTrimLog(TrimLog.newBuilder().setFromOffset(0).setStartOffset(2).setBytes(batchBytes))
        .build();

    replica.applyRound(++index, command(NOW, trim, compact(chunk)));

    assertThat(replica.machine().state().getStartOffset()).isEqualTo(2);
    assertThat(contents()).containsExactly(Map.entry(2L, "a=a2"), Map.entry(3L, "a=a3"));
    assertThat(batches()).extracting(RecordBatch::getBaseOffset).containsExactly(2L, 3L);
  }

  @Test
  void aReplicaReplayingTheLogInOneRoundStoresTheSame() throws IOException {
    for (int round = 0; round < 3; round++) {
      apply(1_000 + round, append(List.of(record("a", "a" + round), record("b", "b" + round), record("c", "c" + round))));
    }
    apply(2_000, append(List.of(record("b", "b-last"))));
    compactAll(NOW);
    apply(3_000, append(List.of(record("a", "a-last"), tombstone("c"))));
    apply(4_000, append(List.of(record("d", "d-last"))));
    compactAll(0);

    try (DataStore other = DataStore.open(dir.resolve("other"))) {
      PartitionStore copy = other.partition(1);
      StoreApplier replaying = new StoreApplier(copy);
      replaying.applyRound(1, applied.toArray(PartitionCommand[]::new));

      assertThat(contents(copy, replica.machine().state().getNextOffset())).isEqualTo(contents());
      assertThat(replaying.machine().state()).isEqualTo(replica.machine().state());
    }
  }

  @Test
  void aTrimOfTheWholeLogAndACompactionAppliedInOneRoundDoAsInTwo() throws IOException {
    apply(1_000, append(List.of(record("a", "a1"), record("b", "b1"))));
    apply(2_000, append(List.of(record("a", "a2"))));
    apply(3_000, append(List.of(record("a", "a3"))));
    CompactLog chunk = plan(NOW).orElseThrow().nextChunk();
    PartitionStore.Trim everything = store.planTrim(0, Long.MAX_VALUE, Long.MAX_VALUE, 0, 100);
    PartitionCommand trim = command(NOW, PartitionOp.newBuilder()
        .setTrimLog(TrimLog.newBuilder().setFromOffset(0).setStartOffset(everything.startOffset()).setBytes(everything.bytes()))
        .build());
    PartitionCommand compaction = command(NOW, compact(chunk));

    try (DataStore other = DataStore.open(dir.resolve("other"))) {
      StoreApplier separately = new StoreApplier(other.partition(1));
      separately.applyRound(1, applied.toArray(PartitionCommand[]::new));
      long next = applied.size() + 1;
      separately.apply(next, trim);
      separately.apply(next + 1, compaction);
      replica.applyRound(next, trim, compaction);

      assertThat(replica.machine().state()).isEqualTo(separately.machine().state());
      assertThat(replica.machine().state().getCompactionPass()).as("the compaction found no batch to compact").isZero();
    }
  }

  @Test
  void aTrimCountedBeforeACompactionChunkIsRefusedSoTheStoredBytesStayTrue() {
    updates();
    PartitionStore.Trim counted = store.planTrim(0, Long.MAX_VALUE, Long.MAX_VALUE, 0, 2);
    PartitionOp trim = PartitionOp.newBuilder()
        .setTrimLog(TrimLog.newBuilder().setFromOffset(0).setStartOffset(counted.startOffset()).setBytes(counted.bytes()))
        .build();
    compactAll(NOW);

    assertThat(apply(NOW, trim)).isInstanceOf(OpResult.Refused.class);
    long stored = 0;
    for (RecordBatch batch : batches()) {
      stored += batch.toBuilder().clearBaseOffset().build().getSerializedSize();
    }
    assertThat(replica.machine().state().getStoredBytes()).isEqualTo(stored);
  }

  @Test
  void aSnapshotCarriesTheHolesAndAReplicaRestartedOnItReadsTheSame() throws IOException {
    updates();
    compactAll(NOW);
    ByteArrayOutputStream exported = new ByteArrayOutputStream();
    try (PartitionStore.Export export = store.freeze()) {
      export.writeTo(exported);
    }
    Map<Long, String> before = contents();

    try (DataStore other = DataStore.open(dir.resolve("other"))) {
      PartitionStore copy = other.partition(1);
      copy.importFrom(new ByteArrayInputStream(exported.toByteArray()));
      StoreApplier restarted = new StoreApplier(copy);

      assertThat(contents(copy, 9)).isEqualTo(before);
      assertThat(restarted.machine().state()).isEqualTo(replica.machine().state());
    }
  }

  private List<RecordBatch> batches() {
    return batches(store.readBatches(0, replica.machine().state().getNextOffset(), 100_000, Integer.MAX_VALUE));
  }

  /** The offsets of the records a read answered with: its batches' records from its from offset on. */
  private static List<Long> offsetsOf(PartitionStore.StoredBatches read) {
    List<Long> offsets = new ArrayList<>();
    for (RecordBatch batch : batches(read)) {
      for (int i = 0; i < batch.getRecordsCount(); i++) {
        long offset = batch.getBaseOffset() + (batch.getOffsetDeltasCount() == 0 ? i : batch.getOffsetDeltas(i));
        if (offset >= read.fromOffset()) {
          offsets.add(offset);
        }
      }
    }
    return offsets;
  }

  private static List<RecordBatch> batches(PartitionStore.StoredBatches read) {
    List<RecordBatch> out = new ArrayList<>();
    for (var encoded : read.batches()) {
      try {
        out.add(RecordBatch.parseFrom(encoded));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }
    return out;
  }
}
