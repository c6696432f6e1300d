package io.ordo.raft.log;

import com.alipay.sofa.jraft.storage.LogStorage;
import io.ordo.jraft.LogSyncRound;
import io.ordo.raft.rocksdb.RocksDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The node's Raft log database. Column families: {@code entries} (every entry), {@code conf}
 * (configuration entries again, to rebuild a group's membership history at start) and {@code
 * meta} (each group's first log index). Keys start with the group id and a 0 byte, then the
 * big-endian index, so each group's entries are one contiguous, ordered range.
 */
public final class RaftLogStore implements AutoCloseable {
  private final RocksDatabase database;
  final RocksDB db;
  final ColumnFamilyHandle entries;
  final ColumnFamilyHandle conf;
  final ColumnFamilyHandle meta;
  /** Synced: an entry is durable when jraft is told it is appended. */
  final WriteOptions syncWrite;
  /**
   * Unsynced: for appends whose sync a {@link LogSyncRound} makes later, before jraft is told, and
   * for the writes of a group whose log is not synced.
   */
  final WriteOptions unsyncedWrite;
  /**
   * A round's sync: a synced write of one small key, which RocksDB syncs with every write before
   * it and merges with other threads' synced writes into one fsync (its SyncWAL would not merge).
   */
  final LogSyncRound.Sync syncAppends = this::syncAppends;
  /** RocksDB's word on each group's last write that failed: jraft's own report says only "Fail to append". */
  private final Map<String, String> writeFailures = new ConcurrentHashMap<>();
  /** RocksDB's word on the last round's sync that failed: every group's appends share the WAL it syncs. */
  private volatile String syncFailure;
  /** Told how long each synced write took, in nanoseconds (see {@link #watchSyncs}). */
  private volatile LongConsumer syncTimes = nanos -> {};

  /** Entries this large or larger are kept in blob files, smaller ones in the tables with their keys. */
  static final int BLOB_MIN_BYTES = 1024;

  private RaftLogStore(RocksDatabase database) {
    this.database = database;
    this.db = database.db();
    this.entries = database.family(0);
    this.conf = database.family(1);
    this.meta = database.family(2);
    this.syncWrite = new WriteOptions().setSync(true);
    this.unsyncedWrite = new WriteOptions();
  }

  /**
   * Tells {@code syncNanos} how long each synced append took (a round's sync, or an append synced
   * on its own): the disk's share of a write's replication, on the leader and on each follower.
   */
  public void watchSyncs(LongConsumer syncNanos) {
    syncTimes = syncNanos;
  }

  /** Appends {@code batch}, synced or not; a synced one is timed for {@link #watchSyncs}. */
  void append(WriteBatch batch, boolean synced) throws RocksDBException {
    if (!synced) {
      db.write(unsyncedWrite, batch);
      return;
    }
    long start = System.nanoTime();
    db.write(syncWrite, batch);
    syncTimes.accept(System.nanoTime() - start);
  }

  /** The key {@link #syncAppends} writes in {@code meta}: no group's (theirs end in a 0 byte). */
  private static final byte[] SYNC_MARK = "sync".getBytes(StandardCharsets.UTF_8);

  private void syncAppends() throws RocksDBException {
    long start = System.nanoTime();
    try {
      db.put(meta, syncWrite, SYNC_MARK, SYNC_MARK);
      syncTimes.accept(System.nanoTime() - start);
    } catch (RocksDBException e) {
      syncFailure = String.valueOf(e.getMessage());
      throw e;
    }
  }

  /**
   * Write-ahead log kept, about: past it RocksDB flushes the families that hold the oldest file,
   * so the file can go. {@code meta} (a write per sync round) and {@code conf} never fill a
   * memtable of their own, so they kept every file since the node started until RocksDB's default
   * limit, four times all write buffers (2 GiB per node, replayed at every start).
   */
  static final long WAL_LIMIT_BYTES = 128L << 20;

  public static RaftLogStore open(Path dir) throws IOException {
    return open(dir, WAL_LIMIT_BYTES);
  }

  static RaftLogStore open(Path dir, long walLimitBytes) throws IOException {
    return new RaftLogStore(
        RocksDatabase.open(
            dir,
            "Raft log store",
            // Flushed entries are read again only by a follower that fell behind, so a flush writes
            // them past the page cache, which the kernel copied them into for nothing: its copying
            // of both stores' flushes took 9% of a node's CPU under load.
            new DBOptions()
                .setMaxTotalWalSize(walLimitBytes)
                .setUseDirectIoForFlushAndCompaction(RocksDatabase.directIoWorks(dir)),
            // Entries live only until their group's next snapshots: compressing them cost about a
            // tenth of a node's CPU under load (records often arrive compressed or random anyway).
            // Entries of a kilobyte or more go to blob files when a memtable is flushed, and stay
            // there: compactions move keys only. Kept inline, every entry was written once more by
            // the compaction after its flush (as many bytes as the flushes, on a node's one
            // compaction thread). No blob garbage collection: it rewrites live entries, while
            // truncation frees a blob file whole once every group has truncated past it.
            new ColumnFamilyOptions()
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setEnableBlobFiles(true)
                .setMinBlobSize(BLOB_MIN_BYTES),
            "entries",
            "conf",
            "meta"));
  }

  /** Group {@code groupId}'s log, kept here; {@code sync}: appends are synced before jraft is told. */
  public LogStorage logStorage(String groupId, boolean sync) {
    return new GroupLogStorage(this, groupId, sync);
  }

  void writeFailed(String groupId, RocksDBException e) {
    writeFailures.put(groupId, String.valueOf(e.getMessage()));
  }

  /**
   * What RocksDB said of the last write of group {@code groupId}'s log that failed, if one did, or
   * else of the last failed sync of the appends a log thread wrote in a row.
   */
  public Optional<String> lastWriteFailure(String groupId) {
    return Optional.ofNullable(writeFailures.getOrDefault(groupId, syncFailure));
  }

  /** Deletes every entry and the meta of group {@code groupId}. */
  public void deleteGroup(String groupId) {
    writeFailures.remove(groupId);
    GroupKeys keys = new GroupKeys(groupId);
    try {
      db.deleteRange(entries, syncWrite, keys.first(), keys.end());
      db.deleteRange(conf, syncWrite, keys.first(), keys.end());
      db.delete(meta, syncWrite, keys.metaKey());
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot delete the Raft log of " + groupId, e);
    }
  }

  @Override
  public void close() {
    database.close();
    syncWrite.close();
    unsyncedWrite.close();
  }

  /** See {@link RocksDatabase#property}: for the node's metrics. */
  public long property(String name) {
    return database.property(name);
  }
}
