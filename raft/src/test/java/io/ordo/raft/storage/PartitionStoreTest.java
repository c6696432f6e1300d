package io.ordo.raft.storage;

import static io.ordo.raft.partition.Commands.append;
import static io.ordo.raft.partition.Commands.command;
import static io.ordo.raft.partition.Commands.record;
import static io.ordo.raft.partition.Commands.recordWithHeader;
import static io.ordo.raft.partition.Commands.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.ordo.proto.raft.v1.AppendRecords;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.proto.raft.v1.ProducerState;
import io.ordo.proto.raft.v1.QueueRecord;
import io.ordo.proto.raft.v1.QueueRecordState;
import io.ordo.proto.raft.v1.StoredBatch;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.Record;
import io.ordo.proto.v1.RecordBatch;
import io.ordo.proto.v1.SettleAction;
import io.ordo.raft.partition.StoreApplier;
import io.ordo.raft.queue.QueueLedger;
import io.ordo.raft.queue.RecordKeys;
import io.ordo.raft.queue.StoredQueueGroup;
import io.ordo.raft.rocksdb.OptionsFile;
import io.ordo.raft.rocksdb.RocksDatabase;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.CompactRangeOptions.BottommostLevelCompaction;
import org.rocksdb.PerfContext;
import org.rocksdb.PerfLevel;
import org.rocksdb.RocksDBException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionStoreTest {
  private static final long ALL = Long.MAX_VALUE;

  @TempDir Path dir;
  private DataStore data;

  @BeforeEach
  void open() throws IOException {
    data = DataStore.open(dir.resolve("a"));
  }

  @AfterEach
  void close() {
    data.close();
  }

  @Test
  void newPartitionHasTheEmptyStateAndNoRecords() {
    PartitionStore store = data.partition(1);

    assertThat(store.readState()).isEqualTo(PartitionState.getDefaultInstance());
    assertThat(store.read(0, ALL, 100, 1 << 20)).isEmpty();
  }

  @Test
  void stateRoundTripsThroughTheStoreAndAReopen() throws IOException {
    PartitionState state =
        PartitionState.newBuilder().setAppliedIndex(12).setStartOffset(3).setNextOffset(40).setLastTimestampMs(77).build();
    try (PartitionStore.Writer writer = data.partition(1).newWriter()) {
      writer.putState(state);
      writer.commit();
    }
    assertThat(data.partition(1).readState()).isEqualTo(state);

    data.close();
    data = DataStore.open(dir.resolve("a"));

    assertThat(data.partition(1).readState()).isEqualTo(state);
  }

  @Test
  void writerMakesNothingVisibleBeforeCommitAndEverythingAfter() {
    PartitionStore store = data.partition(1);
    PartitionState state = PartitionState.newBuilder().setAppliedIndex(1).setNextOffset(2).build();
    try (PartitionStore.Writer writer = store.newWriter()) {
      writer.putBatch(0, StoredBatch.newBuilder().setTimestampMs(5).addAllRecords(records("a", 2)).build());
      writer.putState(state);

      assertThat(writer.stagedBytes()).isPositive();
      assertThat(store.read(0, ALL, 100, 1 << 20)).isEmpty();
      assertThat(store.readState()).isEqualTo(PartitionState.getDefaultInstance());

      writer.commit();
    }

    assertThat(values(store.read(0, ALL, 100, 1 << 20))).containsExactly("a-0", "a-1");
    assertThat(store.readState()).isEqualTo(state);
  }

  @Test
  void writerThatIsClosedWithoutCommitWritesNothing() {
    PartitionStore store = data.partition(1);
    try (PartitionStore.Writer writer = store.newWriter()) {
      writer.putBatch(0, StoredBatch.newBuilder().addAllRecords(records("a", 1)).build());
      writer.putState(PartitionState.newBuilder().setAppliedIndex(1).setNextOffset(1).build());
    }

    assertThat(store.read(0, ALL, 100, 1 << 20)).isEmpty();
    assertThat(store.readState()).isEqualTo(PartitionState.getDefaultInstance());
  }

  @Test
  void readReturnsOffsetsTimestampsKeysValuesAndHeaders() {
    StoreApplier applier = new StoreApplier(data.partition(1));
    Record withHeader = recordWithHeader("k1", "v1", "h", "hv");
    applier.apply(1, command(1_000, append(List.of(record("k0", "v0"), withHeader))));
    applier.apply(2, command(900, append(List.of(record("k2", "v2")))));

    List<ConsumedRecord> read = data.partition(1).read(0, 3, 100, 1 << 20);

    assertThat(read)
        .containsExactly(
            consumed(0, 1_000, record("k0", "v0")), consumed(1, 1_000, withHeader), consumed(2, 1_000, record("k2", "v2")));
  }

  @Test
  void readStartsInsideABatchAndStopsAtTheEndOffset() {
    StoreApplier applier = new StoreApplier(data.partition(1));
    applier.apply(1, command(1, append(records("a", 4))));
    applier.apply(2, command(1, append(records("b", 4))));

    assertThat(values(data.partition(1).read(2, 6, 100, 1 << 20))).containsExactly("a-2", "a-3", "b-0", "b-1");
    assertThat(data.partition(1).read(5, 5, 100, 1 << 20)).isEmpty();
    assertThat(data.partition(1).read(8, ALL, 100, 1 << 20)).isEmpty();
  }

  @Test
  void readRespectsMaxRecordsAndMaxBytesButReturnsAtLeastOneRecord() {
    StoreApplier applier = new StoreApplier(data.partition(1));
    // Each record is 10 bytes: a 5-byte key and a 5-byte value.
    applier.apply(1, command(1, append(records("abc", 10))));
    PartitionStore store = data.partition(1);

    assertThat(store.read(0, ALL, 3, 1 << 20)).extracting(ConsumedRecord::getOffset).containsExactly(0L, 1L, 2L);
    assertThat(store.read(4, ALL, 100, 25)).extracting(ConsumedRecord::getOffset).containsExactly(4L, 5L);
    assertThat(store.read(4, ALL, 100, 30)).extracting(ConsumedRecord::getOffset).containsExactly(4L, 5L, 6L);
    assertThat(store.read(7, ALL, 100, 1)).extracting(ConsumedRecord::getOffset).containsExactly(7L);
  }

  @Test
  void storedBatchesAreSentAsRecordBatchesWithTheirBaseOffsets() throws Exception {
    StoreApplier applier = new StoreApplier(data.partition(1));
    Record withHeader = recordWithHeader("k1", "v1", "h", "hv");
    applier.apply(1, command(1_000, append(List.of(record("k0", "v0"), withHeader))));
    applier.apply(2, command(2_000, append(List.of(record("k2", "v2")))));

    PartitionStore.StoredBatches read = data.partition(1).readBatches(0, 3, 100, 1 << 20);

    assertThat(read.batches()).hasSize(2);
    assertThat(RecordBatch.parseFrom(read.batches().get(0)))
        .isEqualTo(RecordBatch.newBuilder().setBaseOffset(0).setTimestampMs(1_000).addRecords(record("k0", "v0")).addRecords(withHeader).build());
    assertThat(RecordBatch.parseFrom(read.batches().get(1)))
        .isEqualTo(RecordBatch.newBuilder().setBaseOffset(2).setTimestampMs(2_000).addRecords(record("k2", "v2")).build());
    // Byte for byte: an append moves its records' bytes into the batch without decoding them, and
    // the result must be what encoding the decoded records gives (every replica stores the same).
    assertThat(read.batches().get(0).startsWith(
            StoredBatch.newBuilder().setTimestampMs(1_000).addRecords(record("k0", "v0")).addRecords(withHeader).build().toByteString()))
        .isTrue();
    assertThat(read.batches().get(1))
        .isEqualTo(RecordBatch.newBuilder().setTimestampMs(2_000).addRecords(record("k2", "v2")).setBaseOffset(2).build().toByteString());
    assertThat(read.fromOffset()).isZero();
    assertThat(read.nextOffset()).isEqualTo(3);
  }

  @Test
  void storedBatchesAreWholeAndMeetTheLimitsBatchByBatch() throws Exception {
    StoreApplier applier = new StoreApplier(data.partition(1));
    applier.apply(1, command(1, append(records("a", 4))));
    applier.apply(2, command(1, append(records("b", 4))));
    applier.apply(3, command(1, append(records("c", 4))));
    PartitionStore store = data.partition(1);

    PartitionStore.StoredBatches inside = store.readBatches(2, 12, 100, 1 << 20);
    assertThat(inside.batches()).extracting(b -> RecordBatch.parseFrom(b).getBaseOffset()).containsExactly(0L, 4L, 8L);
    assertThat(inside.fromOffset()).isEqualTo(2);
    assertThat(inside.nextOffset()).isEqualTo(12);
    // The first batch holds two records from offset 2: it reaches a limit of 2, not one of 3, and
    // the second batch, which reaches 3, comes whole.
    assertThat(store.readBatches(2, 12, 2, 1 << 20).nextOffset()).isEqualTo(4);
    assertThat(store.readBatches(2, 12, 3, 1 << 20).nextOffset()).isEqualTo(8);
    int firstBatchBytes = store.readBatches(0, 12, 1, 1).batches().get(0).size()
        - CodedOutputStream.computeInt64Size(RecordBatch.BASE_OFFSET_FIELD_NUMBER, 0); // stored bytes: the batch less its base offset
    assertThat(store.readBatches(0, 12, 100, firstBatchBytes).nextOffset()).isEqualTo(4);
    assertThat(store.readBatches(0, 12, 100, firstBatchBytes + 1).nextOffset()).isEqualTo(8);
    assertThat(store.readBatches(2, 12, 1, 1).nextOffset()).as("at least one batch").isEqualTo(4);
    assertThat(store.readBatches(4, 8, 100, 1 << 20).nextOffset()).as("up to the end offset").isEqualTo(8);
    assertThat(store.readBatches(12, 12, 100, 1 << 20).batches()).isEmpty();
  }

  @Test
  void snapshotImportedIntoAnEmptyStoreReadsLikeTheOriginal() throws IOException {
    PartitionStore a = data.partition(7);
    fill(a, 5);
    byte[] snapshot = export(a);

    try (DataStore other = DataStore.open(dir.resolve("b"))) {
      PartitionStore b = other.partition(7);
      PartitionState imported = b.importFrom(new ByteArrayInputStream(snapshot));

      assertThat(imported).isEqualTo(a.readState());
      assertSameContents(b, a);
    }
  }

  @Test
  void snapshotImportReplacesStaleDataOfThePartition() throws IOException {
    PartitionStore a = data.partition(7);
    fill(a, 3);
    byte[] snapshot = export(a);

    try (DataStore other = DataStore.open(dir.resolve("b"))) {
      PartitionStore b = other.partition(7);
      // A longer, diverged history of the same partition: more batches, other values, later index.
      StoreApplier stale = new StoreApplier(b);
      for (int i = 1; i <= 10; i++) {
        stale.apply(i * 2L, command(5_000 + i, idempotentAppend(999, i, records("stale" + i, i))));
      }
      assertThat(b.readState().getNextOffset()).isGreaterThan(a.readState().getNextOffset());

      b.importFrom(new ByteArrayInputStream(snapshot));

      assertSameContents(b, a);
      assertThat(b.read(a.readState().getNextOffset(), ALL, 1000, 1 << 20)).isEmpty();
    }
  }

  @Test
  void snapshotImportLeavesOtherPartitionsAlone() throws IOException {
    PartitionStore a = data.partition(7);
    fill(a, 3);
    byte[] snapshot = export(a);
    PartitionStore neighbour = data.partition(8);
    new StoreApplier(neighbour).apply(1, command(1, append(records("n", 3))));
    PartitionStore target = data.partition(6);

    target.importFrom(new ByteArrayInputStream(snapshot));

    assertSameContents(target, a);
    assertThat(values(neighbour.read(0, ALL, 100, 1 << 20))).containsExactly("n-0", "n-1", "n-2");
    assertThat(values(a.read(0, ALL, 1000, 1 << 20))).doesNotContain("n-0");
  }

  @Test
  void exportIsAPointInTimeView() throws IOException {
    PartitionStore a = data.partition(7);
    StoreApplier applier = new StoreApplier(a);
    applier.apply(1, command(10, append(records("before", 3))));
    PartitionState frozenState = a.readState();
    List<ConsumedRecord> frozenRecords = a.read(0, ALL, 1000, 1 << 20);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PartitionStore.Export export = a.freeze()) {
      applier.apply(2, command(20, append(records("after", 2))));
      a.deleteAll();
      export.writeTo(out);
    }

    try (DataStore other = DataStore.open(dir.resolve("b"))) {
      PartitionStore b = other.partition(7);
      assertThat(b.importFrom(new ByteArrayInputStream(out.toByteArray()))).isEqualTo(frozenState);
      assertThat(b.readState()).isEqualTo(frozenState);
      assertThat(b.read(0, ALL, 1000, 1 << 20)).isEqualTo(frozenRecords);
    }
  }

  @Test
  void exportOfAPartitionWithoutStateFails() {
    try (PartitionStore.Export export = data.partition(3).freeze()) {
      assertThatThrownBy(() -> export.writeTo(new ByteArrayOutputStream()))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("no state");
    }
  }

  @Test
  void importOfAnEmptySnapshotFileFails() {
    assertThatThrownBy(() -> data.partition(3).importFrom(new ByteArrayInputStream(new byte[0])))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void deleteAllRemovesOnlyThatPartition() {
    fill(data.partition(1), 3);
    fill(data.partition(2), 3);
    fill(data.partition(3), 3);
    List<ConsumedRecord> before1 = data.partition(1).read(0, ALL, 1000, 1 << 20);
    List<ConsumedRecord> before3 = data.partition(3).read(0, ALL, 1000, 1 << 20);
    PartitionState state3 = data.partition(3).readState();
    List<ProducerState> producers3 = data.partition(3).readProducers();

    data.partition(2).deleteAll();

    assertThat(data.partition(2).read(0, ALL, 1000, 1 << 20)).isEmpty();
    assertThat(data.partition(2).readState()).isEqualTo(PartitionState.getDefaultInstance());
    assertThat(data.partition(2).readProducers()).isEmpty();
    assertThat(data.partition(3).readProducers()).isNotEmpty().isEqualTo(producers3);
    assertThat(data.partition(1).read(0, ALL, 1000, 1 << 20)).isEqualTo(before1);
    assertThat(data.partition(3).read(0, ALL, 1000, 1 << 20)).isEqualTo(before3);
    assertThat(data.partition(3).readState()).isEqualTo(state3);
  }

  @Test
  void adjacentPartitionsDoNotSeeEachOthersRecords() {
    new StoreApplier(data.partition(1)).apply(1, command(1, append(records("one", 3))));
    new StoreApplier(data.partition(2)).apply(1, command(1, append(records("two", 5))));

    assertThat(values(data.partition(1).read(0, ALL, 1000, 1 << 20))).containsExactly("one-0", "one-1", "one-2");
    assertThat(values(data.partition(2).read(0, ALL, 1000, 1 << 20)))
        .containsExactly("two-0", "two-1", "two-2", "two-3", "two-4");
    // Past partition 1's end lie partition 2's keys; a read there must not reach them.
    assertThat(data.partition(1).read(3, ALL, 1000, 1 << 20)).isEmpty();
    // Partition 3 is empty, and partition 2's keys lie just before its range.
    assertThat(data.partition(3).read(0, ALL, 1000, 1 << 20)).isEmpty();
    assertThat(data.partition(3).read(4, ALL, 1000, 1 << 20)).isEmpty();
  }

  @Test
  void partitionsAtTheTopOfTheKeySpaceWithOffsetsNearTheEndStayApart() {
    long high = Long.MAX_VALUE - 1;
    long top = Long.MAX_VALUE;
    long base = Long.MAX_VALUE - 10;
    putBatch(data.partition(high), base, records("high", 5));
    putBatch(data.partition(high), base + 5, records("higher", 5));
    putBatch(data.partition(top), 0, records("top", 2));

    assertThat(data.partition(high).read(base + 3, ALL, 1000, 1 << 20))
        .extracting(ConsumedRecord::getOffset)
        .containsExactly(base + 3, base + 4, base + 5, base + 6, base + 7, base + 8, base + 9);
    assertThat(data.partition(high).read(0, base, 1000, 1 << 20)).isEmpty();
    assertThat(values(data.partition(top).read(0, ALL, 1000, 1 << 20))).containsExactly("top-0", "top-1");

    data.partition(high).deleteAll();

    assertThat(data.partition(high).read(0, ALL, 1000, 1 << 20)).isEmpty();
    assertThat(values(data.partition(top).read(0, ALL, 1000, 1 << 20))).containsExactly("top-0", "top-1");
  }

  @Test
  void queueGroupsSurviveTheStoreAndASnapshotAndLeaveWithTheirPartition() throws IOException {
    PartitionStore a = data.partition(7);
    fill(a, 2);
    QueuePolicy policy = QueuePolicy.newBuilder().setMaxDeliveries(2).setLeaseMs(100).setMaxLeased(10).setMaxUnfinished(10).build();
    try (PartitionStore.Writer writer = a.newWriter()) {
      // Two groups whose names are each other's prefix, so their record keys must not mix.
      for (String group : List.of("q", "q1")) {
        QueueLedger ledger = QueueLedger.start(group, policy, 0, 1, writer);
        ledger.acquire("c", 4, 10, 0, writer, writer);
        ledger.settle("c", 1, 1, SettleAction.SETTLE_ACK, 0, "", 1, writer);
        ledger.settle("c", 2, 1, SettleAction.SETTLE_REJECT, 0, "poison", 1, writer);
      }
      writer.commit();
    }
    Map<String, StoredQueueGroup> stored = a.readQueueGroups();
    assertThat(stored).containsOnlyKeys("q", "q1");
    assertThat(stored.get("q1").records()).extracting(QueueRecord::getOffset).containsExactly(0L, 2L, 3L);
    assertThat(stored.get("q1").progress().getCursor()).isEqualTo(4);
    PartitionStore.QueueRecords dead =
        a.readQueueRecords("q", 0, 10, r -> r.getState() == QueueRecordState.QUEUE_RECORD_DEAD);
    assertThat(dead.records()).singleElement().extracting(QueueRecord::getLastError).isEqualTo("poison");
    assertThat(dead.nextOffset()).as("q's last record read").isEqualTo(-1);
    PartitionStore.QueueRecords page = a.readQueueRecords("q1", 1, 1, r -> true);
    assertThat(page.records()).extracting(QueueRecord::getOffset).containsExactly(2L);
    assertThat(page.nextOffset()).isEqualTo(3);

    try (DataStore other = DataStore.open(dir.resolve("b"))) {
      PartitionStore b = other.partition(7);
      b.importFrom(new ByteArrayInputStream(export(a)));
      assertThat(b.readQueueGroups()).isEqualTo(stored);
    }
    assertThat(data.partition(8).readQueueGroups()).isEmpty();
    a.deleteAll();
    assertThat(a.readQueueGroups()).isEmpty();
  }

  @Test
  void keyHashesReadCommittedAndStagedRecordsAlike() {
    PartitionStore store = data.partition(9);
    List<Record> keyed = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      keyed.add(Record.newBuilder().setKey(ByteString.copyFromUtf8(i == 4 ? "" : "key-" + i % 3)).build());
    }
    putBatch(store, 0, keyed.subList(0, 2));
    putBatch(store, 2, keyed.subList(2, 3));
    try (PartitionStore.Writer writer = store.newWriter()) {
      writer.putBatch(3, StoredBatch.newBuilder().addAllRecords(keyed.subList(3, 6)).build());
      long[] expected = keyed.stream().mapToLong(r -> RecordKeys.hash(r.getKey())).toArray();
      assertThat(writer.keyHashes(0, 6)).containsExactly(expected);
      assertThat(writer.keyHashes(1, 4)).containsExactly(Arrays.copyOfRange(expected, 1, 5));
      assertThat(expected[0]).isEqualTo(expected[3]).isNotEqualTo(expected[1]);
      assertThat(expected[4]).as("no key").isEqualTo(RecordKeys.NO_KEY);
    }
  }

  /**
   * Stored batches go to blob files at flush, where compactions leave them; once deleted batches
   * are a quarter of the blob bytes, garbage collection gives their space back even from a blob file
   * that another partition's live batches share, and stops when done.
   */
  @Test
  void batchesLiveInBlobFilesWhoseDeletedSpaceComesBack() {
    PartitionStore one = data.partition(1);
    PartitionStore two = data.partition(2);
    for (long i = 0; i < 20; i++) {
      putBatch(one, i, List.of(randomRecord()));
      if (i < 10) {
        putBatch(two, i, List.of(randomRecord()));
      }
    }
    data.flush();
    // Three more files of partition two's alone, so the shared file is the oldest quarter's.
    for (long i = 10; i < 40; i++) {
      putBatch(two, i, List.of(randomRecord()));
      if (i % 10 == 9) {
        data.flush();
      }
    }
    long blobBytes = data.property("rocksdb.total-blob-file-size");
    assertThat(blobBytes).isGreaterThan(60L * RANDOM_VALUE_BYTES);
    assertThat(data.property("rocksdb.total-sst-files-size")).isLessThan(blobBytes / 4);

    try (PartitionStore.Writer writer = one.newWriter()) {
      writer.deleteBatches(0, 20);
      writer.commit();
    }
    compactAll();
    data.collectBlobGarbage();
    assertThat(data.collectsBlobGarbage(data.records)).isTrue();
    compactAll();

    assertThat(data.property("rocksdb.total-blob-file-size")).isLessThan(blobBytes - 19L * RANDOM_VALUE_BYTES);
    assertThat(two.read(0, ALL, 1000, 64 << 20)).hasSize(40);
    assertThat(one.read(0, ALL, 1000, 64 << 20)).isEmpty();
    data.collectBlobGarbage();
    assertThat(data.collectsBlobGarbage(data.records)).isFalse();
  }

  /** Where the file system takes O_DIRECT, flushes write past the page cache, and batches read back. */
  @Test
  void flushesWritePastThePageCacheWhereTheFileSystemAllows() throws IOException {
    assumeTrue(RocksDatabase.directIoWorks(dir.resolve("a")), "needs a file system that takes O_DIRECT");
    for (long i = 0; i < 10; i++) {
      putBatch(data.partition(1), i, List.of(randomRecord()));
    }
    data.flush();
    assertThat(blobFiles()).hasSize(1);
    data.close();
    data = DataStore.open(dir.resolve("a"));

    assertThat(data.partition(1).read(0, ALL, 100, 64 << 20)).hasSize(10);
    assertThat(OptionsFile.newest(dir.resolve("a"))).contains("use_direct_io_for_flush_and_compaction=true");
  }

  /** LZ4 shrinks the blob files of records that compress; a store opened either way reads what the other wrote. */
  @Test
  void compressionChangesOnlyHowFlushesWriteBlobFiles() throws IOException {
    byte[] value = "a record that compresses well. ".repeat(RANDOM_VALUE_BYTES / 30).getBytes(StandardCharsets.UTF_8);
    Record compressible = Record.newBuilder().setValue(ByteString.copyFrom(value)).build();
    data.close();
    data = DataStore.open(dir.resolve("a"), 64L << 20, DataStore.Compression.LZ4);
    for (long i = 0; i < 10; i++) {
      putBatch(data.partition(1), i, List.of(compressible));
    }
    data.flush();
    long lz4Bytes = data.property("rocksdb.total-blob-file-size");
    data.close();
    data = DataStore.open(dir.resolve("a"), 64L << 20, DataStore.Compression.NONE);
    for (long i = 10; i < 20; i++) {
      putBatch(data.partition(1), i, List.of(compressible));
    }
    data.flush();
    long uncompressedBytes = data.property("rocksdb.total-blob-file-size") - lz4Bytes;

    assertThat(uncompressedBytes).isGreaterThan(10L * value.length);
    assertThat(lz4Bytes).isLessThan(uncompressedBytes / 4);
    assertThat(data.partition(1).read(0, ALL, 100, 64 << 20))
        .hasSize(20)
        .allSatisfy(r -> assertThat(r.getValue().toByteArray()).isEqualTo(value));
  }

  /** Moving onto a stored batch loads its value from its blob file: reads load only the batches they send. */
  @Test
  void readsLoadOnlyTheBatchesTheySend() throws RocksDBException {
    PartitionStore store = data.partition(1);
    for (long i = 0; i < 4; i++) {
      putBatch(store, i, List.of(randomRecord()));
    }
    data.flush();
    data.db().setPerfLevel(PerfLevel.ENABLE_COUNT); // this thread's
    try {
      PerfContext perf = data.db().getPerfContext();
      perf.reset();

      assertThat(store.readBatches(1, ALL, 2, 64 << 20).nextOffset()).isEqualTo(3);
      assertThat(perf.getBlobReadCount()).isEqualTo(2);
      perf.reset();
      assertThat(store.read(1, ALL, 2, 64 << 20)).hasSize(2);
      assertThat(perf.getBlobReadCount()).isEqualTo(2);
    } finally {
      data.db().setPerfLevel(PerfLevel.DISABLE);
    }
  }

  /** Where nothing was deleted, compactions leave the blob files as they are: no live batch is rewritten. */
  @Test
  void compactionsRewriteNoBatchWhereNothingWasDeleted() throws IOException {
    for (long i = 0; i < 40; i++) {
      putBatch(data.partition(1 + i % 2), i, List.of(randomRecord()));
      if (i % 10 == 9) {
        data.flush();
      }
    }
    Set<Path> blobFiles = blobFiles();
    assertThat(blobFiles).hasSize(4);

    data.collectBlobGarbage();
    compactAll();

    assertThat(data.collectsBlobGarbage(data.records)).isFalse();
    assertThat(blobFiles()).isEqualTo(blobFiles);
  }

  private Set<Path> blobFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("a"))) {
      return files.filter(f -> f.toString().endsWith(".blob")).collect(Collectors.toSet());
    }
  }

  private void compactAll() {
    try (CompactRangeOptions force =
        new CompactRangeOptions().setBottommostLevelCompaction(BottommostLevelCompaction.kForce)) {
      data.db().compactRange(data.records, null, null, force);
    } catch (RocksDBException e) {
      throw new AssertionError(e);
    }
  }

  private static final int RANDOM_VALUE_BYTES = 4096;
  private static final Random RANDOM = new Random(7);

  /** A record too large to stay beside its key, and incompressible. */
  private static Record randomRecord() {
    byte[] value = new byte[RANDOM_VALUE_BYTES];
    RANDOM.nextBytes(value);
    return Record.newBuilder().setValue(ByteString.copyFrom(value)).build();
  }

  private static void fill(PartitionStore store, int entries) {
    StoreApplier applier = new StoreApplier(store);
    for (int i = 1; i <= entries; i++) {
      applier.apply(
          i,
          command(100L * i, append(records("e" + i, i)), idempotentAppend(100 + i % 2, 10L * i, records("f" + i, 1))));
    }
  }

  private static PartitionOp idempotentAppend(long producerId, long firstSequence, List<Record> records) {
    return PartitionOp.newBuilder()
        .setAppend(AppendRecords.newBuilder().setProducerId(producerId).setFirstSequence(firstSequence).addAllRecords(records))
        .build();
  }

  private static void putBatch(PartitionStore store, long baseOffset, List<Record> records) {
    try (PartitionStore.Writer writer = store.newWriter()) {
      writer.putBatch(baseOffset, StoredBatch.newBuilder().addAllRecords(records).build());
      writer.commit();
    }
  }

  private static byte[] export(PartitionStore store) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PartitionStore.Export export = store.freeze()) {
      export.writeTo(out);
    }
    return out.toByteArray();
  }

  private static void assertSameContents(PartitionStore actual, PartitionStore expected) {
    assertThat(actual.readState()).isEqualTo(expected.readState());
    assertThat(expected.readProducers()).isNotEmpty();
    assertThat(actual.readProducers()).isEqualTo(expected.readProducers());
    List<ConsumedRecord> expectedRecords = expected.read(0, ALL, Integer.MAX_VALUE, Integer.MAX_VALUE);
    assertThat(expectedRecords).isNotEmpty();
    assertThat(actual.read(0, ALL, Integer.MAX_VALUE, Integer.MAX_VALUE)).isEqualTo(expectedRecords);
    // Reads that start inside the log agree too, not just whole-log reads.
    long middle = expected.readState().getNextOffset() / 2;
    assertThat(actual.read(middle, ALL, 3, 1 << 20)).isEqualTo(expected.read(middle, ALL, 3, 1 << 20));
  }

  private static ConsumedRecord consumed(long offset, long timestampMs, Record r) {
    return ConsumedRecord.newBuilder()
        .setOffset(offset)
        .setTimestampMs(timestampMs)
        .setKey(r.getKey())
        .setValue(r.getValue())
        .addAllHeaders(r.getHeadersList())
        .build();
  }

  private static List<String> values(List<ConsumedRecord> records) {
    return records.stream().map(r -> r.getValue().toStringUtf8()).toList();
  }
}
