package io.ordo.raft.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.alipay.sofa.jraft.conf.ConfigurationManager;
import com.alipay.sofa.jraft.entity.EnumOutter.EntryType;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.LogId;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.entity.codec.v2.LogEntryV2CodecFactory;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import io.ordo.raft.rocksdb.DirectPut;
import io.ordo.raft.rocksdb.OptionsFile;
import io.ordo.raft.rocksdb.RocksDatabase;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.CompactRangeOptions.BottommostLevelCompaction;
import org.rocksdb.FlushOptions;
import org.rocksdb.LogFile;
import org.rocksdb.RocksDBException;

class GroupLogStorageTest {
  @TempDir Path dir;

  private static LogEntry data(long index, long term) {
    return data(index, term, ("entry-" + index).getBytes(StandardCharsets.UTF_8));
  }

  private static LogEntry data(long index, long term, byte[] payload) {
    LogEntry e = new LogEntry(EntryType.ENTRY_TYPE_DATA);
    e.setId(new LogId(index, term));
    e.setData(ByteBuffer.wrap(payload.clone()));
    return e;
  }

  private static LogEntry conf(long index, long term, String... peers) {
    LogEntry e = new LogEntry(EntryType.ENTRY_TYPE_CONFIGURATION);
    e.setId(new LogId(index, term));
    List<PeerId> list = new ArrayList<>();
    for (String p : peers) {
      list.add(PeerId.parsePeer(p));
    }
    e.setPeers(list);
    return e;
  }

  private static GroupLogStorage open(RaftLogStore store, String group, ConfigurationManager confs) {
    return open(store, group, confs, true);
  }

  private static GroupLogStorage open(RaftLogStore store, String group, ConfigurationManager confs, boolean sync) {
    GroupLogStorage log = new GroupLogStorage(store, group, sync);
    LogStorageOptions options = new LogStorageOptions();
    options.setGroupId(group);
    options.setConfigurationManager(confs);
    options.setLogEntryCodecFactory(LogEntryV2CodecFactory.getInstance());
    assertThat(log.init(options)).isTrue();
    return log;
  }

  private static long oldestLiveWal(RaftLogStore store) throws RocksDBException {
    return store.db.getSortedWalFiles().stream().mapToLong(LogFile::logNumber).min().orElse(Long.MAX_VALUE);
  }

  private static String text(LogEntry e) {
    return StandardCharsets.UTF_8.decode(e.getData().duplicate()).toString();
  }

  @Test
  void aRarelyWrittenFamilyDoesNotKeepTheWriteAheadLogsOldestFile() throws Exception {
    long limit = 4L << 20;
    int batches = 256;
    int perBatch = 64;
    byte[] payload = new byte[4096];
    long last = 1;
    try (RaftLogStore store = RaftLogStore.open(dir, limit)) {
      GroupLogStorage log = open(store, "p-1-0", new ConfigurationManager());
      // The conf family's one write stays in its memtable, in the first file, unless flushed.
      assertThat(log.appendEntries(List.of(conf(1, 1, "127.0.0.1:1")))).isEqualTo(1);
      long firstFile = oldestLiveWal(store);
      for (int b = 0; b < batches; b++) { // 64 MiB
        List<LogEntry> batch = new ArrayList<>();
        for (int i = 0; i < perBatch; i++) {
          payload[0] = (byte) ++last;
          batch.add(data(last, 1, payload));
        }
        assertThat(log.appendEntries(batch)).isEqualTo(perBatch);
      }
      // Past the limit RocksDB flushes the families that hold the oldest file, the conf family
      // among them, and the file goes once the flushes are done. (The file being written may then
      // be well past the limit: writes that outrun the flushes, which are rate-limited and at the
      // lowest CPU priority, see RocksDatabase, go on into it; the next flush takes it.)
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (oldestLiveWal(store) <= firstFile && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(oldestLiveWal(store)).as("oldest write-ahead log file kept").isGreaterThan(firstFile);
    }
    try (RaftLogStore store = RaftLogStore.open(dir, limit)) {
      GroupLogStorage log = open(store, "p-1-0", new ConfigurationManager());
      assertThat(log.getLastLogIndex()).isEqualTo(last);
      for (long i = last - perBatch; i <= last; i++) {
        assertThat(log.getEntry(i).getData().get(0)).isEqualTo((byte) i);
      }
    }
  }

  @Test
  void syncedAppendsAreTimedAndUnsyncedOnesAreNot() throws Exception {
    try (RaftLogStore store = RaftLogStore.open(dir)) {
      List<Long> syncs = new CopyOnWriteArrayList<>();
      store.watchSyncs(syncs::add);
      GroupLogStorage synced = open(store, "p-1-0", new ConfigurationManager());
      GroupLogStorage unsynced = open(store, "p-2-0", new ConfigurationManager(), false);

      assertThat(synced.appendEntries(List.of(data(1, 1), data(2, 1)))).isEqualTo(2);
      assertThat(synced.appendEntry(data(3, 1))).isTrue();
      assertThat(unsynced.appendEntries(List.of(data(1, 1)))).isEqualTo(1);

      assertThat(syncs).hasSize(2).allSatisfy(nanos -> assertThat(nanos).isPositive());
    }
  }

  /**
   * Entries written from a reused direct buffer are stored byte for byte as jraft's V2 encoder
   * writes them, whatever their shape, and leave the entry's data as it was (jraft still sends it).
   */
  @Test
  void entriesAreStoredExactlyAsJraftsEncoderWritesThem() throws Exception {
    List<LogEntry> entries = new ArrayList<>();
    entries.add(data(1, 1));
    entries.add(data(2, 1, new byte[0]));
    LogEntry noData = new LogEntry(EntryType.ENTRY_TYPE_NO_OP);
    noData.setId(new LogId(3, 2));
    entries.add(noData);
    LogEntry checksummed = data(4, 2);
    checksummed.setChecksum(checksummed.checksum());
    entries.add(checksummed);
    entries.add(conf(5, 2, "127.0.0.1:1", "127.0.0.1:2"));
    byte[] framed = ("xx" + "a value read from the middle of a buffer").getBytes(StandardCharsets.UTF_8);
    LogEntry sliced = data(6, 2, framed);
    sliced.getData().position(2);
    entries.add(sliced);
    entries.add(data(7, 2, new byte[300 << 10])); // grows the thread's buffer past its first size
    entries.add(data(8, 2, new byte[DirectPut.MAX_REUSED_BYTES])); // past a thread's reused buffer: an array
    entries.add(data(9, Long.MAX_VALUE, "the largest term".getBytes(StandardCharsets.UTF_8)));
    List<ByteBuffer> before = entries.stream().map(e -> e.getData() == null ? null : e.getData().duplicate()).toList();

    try (RaftLogStore store = RaftLogStore.open(dir.resolve("log"))) {
      GroupLogStorage log = open(store, "g", new ConfigurationManager());
      assertThat(log.appendEntries(entries)).isEqualTo(entries.size());
      GroupKeys keys = new GroupKeys("g");
      for (int i = 0; i < entries.size(); i++) {
        LogEntry entry = entries.get(i);
        byte[] stored = store.db.get(store.entries, keys.entry(entry.getId().getIndex()));
        assertThat(stored).as("entry %d", entry.getId().getIndex()).isEqualTo(LogEntryV2CodecFactory.getInstance().encoder().encode(entry));
        assertThat(entry.getData()).as("entry %d's data after the append", entry.getId().getIndex()).isEqualTo(before.get(i));
      }
    }
  }

  @Test
  void appendedEntriesAreReadBackAndSurviveAReopen() throws Exception {
    try (RaftLogStore store = RaftLogStore.open(dir)) {
      GroupLogStorage log = open(store, "p-1-0", new ConfigurationManager());
      assertThat(log.getFirstLogIndex()).isEqualTo(1);
      assertThat(log.getLastLogIndex()).isZero();
      assertThat(log.appendEntries(List.of(conf(1, 1, "127.0.0.1:1", "127.0.0.1:2"), data(2, 1), data(3, 1))))
          .isEqualTo(3);
      assertThat(log.getLastLogIndex()).isEqualTo(3);
      assertThat(text(log.getEntry(2))).isEqualTo("entry-2");
      assertThat(log.getEntry(4)).isNull();
    }
    try (RaftLogStore store = RaftLogStore.open(dir)) {
      ConfigurationManager confs = new ConfigurationManager();
      GroupLogStorage log = open(store, "p-1-0", confs);
      assertThat(log.getLastLogIndex()).isEqualTo(3);
      assertThat(text(log.getEntry(3))).isEqualTo("entry-3");
      assertThat(confs.getLastConfiguration().getConf().getPeers()).hasSize(2);
    }
  }

  @Test
  void groupsDoNotSeeEachOthersEntriesEvenWithPrefixNames() throws Exception {
    try (RaftLogStore store = RaftLogStore.open(dir)) {
      GroupLogStorage a = open(store, "p-1-1", new ConfigurationManager());
      GroupLogStorage b = open(store, "p-1-10", new ConfigurationManager());
      a.appendEntries(List.of(data(1, 1), data(2, 1)));
      b.appendEntries(List.of(data(1, 1), data(2, 1), data(3, 1), data(4, 1)));
      assertThat(a.getLastLogIndex()).isEqualTo(2);
      assertThat(b.getLastLogIndex()).isEqualTo(4);
      store.deleteGroup("p-1-10");
      assertThat(b.getLastLogIndex()).isZero();
      assertThat(a.getLastLogIndex()).isEqualTo(2);
    }
  }

  @Test
  void truncationKeepsTheFirstIndexAcrossAReopen() throws Exception {
    try (RaftLogStore store = RaftLogStore.open(dir)) {
      GroupLogStorage log = open(store, "g", new ConfigurationManager());
      for (long i = 1; i <= 10; i++) {
        assertThat(log.appendEntry(data(i, 1))).isTrue();
      }
      assertThat(log.truncatePrefix(4)).isTrue();
      assertThat(log.truncateSuffix(8)).isTrue();
      assertThat(log.getFirstLogIndex()).isEqualTo(4);
      assertThat(log.getLastLogIndex()).isEqualTo(8);
      assertThat(log.getEntry(3)).isNull();
      assertThat(log.getEntry(9)).isNull();
    }
    try (RaftLogStore store = RaftLogStore.open(dir)) {
      GroupLogStorage log = open(store, "g", new ConfigurationManager());
      assertThat(log.getFirstLogIndex()).isEqualTo(4);
      assertThat(log.getLastLogIndex()).isEqualTo(8);
    }
  }

  /**
   * Large entries go to blob files at flush, which compactions leave alone, and a blob file is
   * freed once every group whose entries it holds has truncated past them.
   */
  @Test
  void largeEntriesLiveInBlobFilesThatTruncationFrees() throws Exception {
    try (RaftLogStore store = RaftLogStore.open(dir);
        FlushOptions flush = new FlushOptions().setWaitForFlush(true);
        CompactRangeOptions force =
            new CompactRangeOptions().setBottommostLevelCompaction(BottommostLevelCompaction.kForce)) {
      GroupLogStorage a = open(store, "a", new ConfigurationManager());
      GroupLogStorage b = open(store, "b", new ConfigurationManager());
      for (long i = 1; i <= 20; i++) {
        assertThat(a.appendEntry(large(i))).isTrue();
        assertThat(b.appendEntry(large(i))).isTrue();
      }
      store.db.flush(flush, store.entries);
      long blobBytes = store.property("rocksdb.total-blob-file-size");
      assertThat(blobBytes).isGreaterThan(40L * LARGE_ENTRY_BYTES);
      assertThat(store.property("rocksdb.total-sst-files-size")).isLessThan(blobBytes / 4);
      assertThat(a.getEntry(7).getData().remaining()).isEqualTo(LARGE_ENTRY_BYTES);

      assertThat(a.truncatePrefix(21)).isTrue();
      store.db.compactRange(store.entries, null, null, force);
      assertThat(store.property("rocksdb.total-blob-file-size")).as("b's entries are still in the file").isEqualTo(blobBytes);
      assertThat(b.getEntry(20).getData().remaining()).isEqualTo(LARGE_ENTRY_BYTES);

      assertThat(b.truncatePrefix(21)).isTrue();
      store.db.compactRange(store.entries, null, null, force);
      assertThat(store.property("rocksdb.total-blob-file-size")).isZero();
    }
  }

  /** Where the file system takes O_DIRECT, flushes write past the page cache, and entries read back. */
  @Test
  void flushesWritePastThePageCacheWhereTheFileSystemAllows() throws Exception {
    assumeTrue(RocksDatabase.directIoWorks(dir), "needs a file system that takes O_DIRECT");
    try (RaftLogStore store = RaftLogStore.open(dir);
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      GroupLogStorage log = open(store, "a", new ConfigurationManager());
      for (long i = 1; i <= 20; i++) {
        assertThat(log.appendEntry(large(i))).isTrue();
      }
      store.db.flush(flush, store.entries);
      assertThat(store.property("rocksdb.total-blob-file-size")).isGreaterThan(20L * LARGE_ENTRY_BYTES);
      assertThat(log.getEntry(20).getData().remaining()).isEqualTo(LARGE_ENTRY_BYTES);
    }
    assertThat(OptionsFile.newest(dir)).contains("use_direct_io_for_flush_and_compaction=true");
  }

  private static final int LARGE_ENTRY_BYTES = 4 * RaftLogStore.BLOB_MIN_BYTES;

  private static LogEntry large(long index) {
    LogEntry e = new LogEntry(EntryType.ENTRY_TYPE_DATA);
    e.setId(new LogId(index, 1));
    e.setData(ByteBuffer.wrap(new byte[LARGE_ENTRY_BYTES]));
    return e;
  }

  @Test
  void resetLeavesOneEntryAtTheNextIndex() throws Exception {
    try (RaftLogStore store = RaftLogStore.open(dir)) {
      GroupLogStorage log = open(store, "g", new ConfigurationManager());
      log.appendEntries(List.of(data(1, 1), data(2, 1), data(3, 2)));
      assertThat(log.reset(100)).isTrue();
      assertThat(log.getFirstLogIndex()).isEqualTo(100);
      assertThat(log.getLastLogIndex()).isEqualTo(100);
      assertThat(log.getEntry(100).getType()).isEqualTo(EntryType.ENTRY_TYPE_NO_OP);
      assertThat(log.getEntry(3)).isNull();
    }
  }

  @Test
  void termsAnsweredFromMemoryMatchTheLogThroughTruncationsAndAReset() throws Exception {
    try (RaftLogStore store = RaftLogStore.open(dir)) {
      GroupLogStorage log = open(store, "g", new ConfigurationManager());
      log.appendEntries(List.of(data(1, 1), data(2, 1), data(3, 1)));
      log.appendEntries(List.of(data(4, 2), data(5, 2)));
      assertTermsMatchEntries(log, 12);
      assertThat(log.getTerm(3)).isEqualTo(1);
      assertThat(log.getTerm(4)).isEqualTo(2);

      // a follower's conflicting suffix replaced by a new leader's entries
      assertThat(log.truncateSuffix(3)).isTrue();
      assertTermsMatchEntries(log, 12);
      log.appendEntries(List.of(data(4, 3), data(5, 3), data(6, 4)));
      assertTermsMatchEntries(log, 12);
      assertThat(log.getTerm(5)).isEqualTo(3);

      assertThat(log.truncatePrefix(3)).isTrue();
      assertTermsMatchEntries(log, 12);
      assertThat(log.getTerm(2)).isZero();

      assertThat(log.reset(10)).isTrue();
      assertTermsMatchEntries(log, 12);
      log.appendEntries(List.of(data(11, 5)));
      assertTermsMatchEntries(log, 12);
    }
    try (RaftLogStore store = RaftLogStore.open(dir)) {
      GroupLogStorage log = open(store, "g", new ConfigurationManager());
      assertTermsMatchEntries(log, 12);
      assertThat(log.getTerm(11)).isEqualTo(5);
    }
  }

  @Test
  void termsOfEntriesWrittenSinceTheOpenAreNotReadBack() throws Exception {
    try (RaftLogStore store = RaftLogStore.open(dir)) {
      GroupLogStorage log = open(store, "g", new ConfigurationManager());
      log.appendEntries(List.of(data(1, 1), data(2, 2)));
      GroupKeys keys = new GroupKeys("g");
      store.db.delete(store.entries, keys.entry(2)); // behind the log's back: only memory still knows
      assertThat(log.getEntry(2)).isNull();
      assertThat(log.getTerm(2)).isEqualTo(2);
    }
  }

  /** Every index up to {@code last}: the term the log answers is the one its entry holds (0: none). */
  private static void assertTermsMatchEntries(GroupLogStorage log, long last) {
    for (long index = 0; index <= last; index++) {
      LogEntry entry = log.getEntry(index);
      assertThat(log.getTerm(index)).as("term of entry %d", index).isEqualTo(entry == null ? 0 : entry.getId().getTerm());
    }
  }
}
