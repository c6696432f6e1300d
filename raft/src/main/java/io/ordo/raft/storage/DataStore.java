package io.ordo.raft.storage;

import io.ordo.raft.rocksdb.RocksDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

/**
 * The node's RocksDB. Column families: {@code records} (batches, key = partition + base offset),
 * {@code partition_state} (one {@code PartitionState} per partition, key = partition) and
 * {@code producers} (idempotent producers' last appends, key = partition + producer id) and
 * {@code group_offsets} (stream groups' committed offsets and owners, key = partition + group
 * name), {@code queue_progress} (each queue group's floor, cursor and policy, key = partition +
 * group name) and {@code queue_records} (queue groups' unfinished records, key = partition +
 * group name's length and bytes + offset). Later kinds of partition data get column families of
 * their own, are written in the same atomic batches, and join {@link #partitionScoped}.
 */
public final class DataStore implements AutoCloseable {
  private final RocksDatabase database;
  private final WriteOptions writeOptions;
  private final WriteOptions durableWriteOptions;
  final ColumnFamilyHandle records;
  final ColumnFamilyHandle partitionState;
  final ColumnFamilyHandle producers;
  final ColumnFamilyHandle groupOffsets;
  final ColumnFamilyHandle queueProgress;
  final ColumnFamilyHandle queueRecords;
  /** The families whose keys start with a partition's prefix: a partition's delete covers them. */
  final List<ColumnFamilyHandle> partitionScoped;

  private DataStore(RocksDatabase database) {
    this.database = database;
    // The Raft log is the write-ahead log (see package-info): RocksDB's own would write every
    // record a second time, on the apply thread, and was as costly there as the Raft log's append.
    this.writeOptions = new WriteOptions().setDisableWAL(true);
    this.durableWriteOptions = new WriteOptions().setSync(true);
    this.records = database.family(0);
    this.partitionState = database.family(1);
    this.producers = database.family(2);
    this.groupOffsets = database.family(3);
    this.queueProgress = database.family(4);
    this.queueRecords = database.family(5);
    this.partitionScoped = List.of(records, producers, groupOffsets, queueProgress, queueRecords);
  }

  /**
   * Levels 0 and 1 are rewritten soon after they are written (each flush is merged into level 1),
   * so compressing them spends CPU on bytes that do not stay; deeper levels hold what does.
   */
  private static final List<CompressionType> COMPRESSION_PER_LEVEL = List.of(
      CompressionType.NO_COMPRESSION,
      CompressionType.NO_COMPRESSION,
      CompressionType.LZ4_COMPRESSION,
      CompressionType.LZ4_COMPRESSION,
      CompressionType.LZ4_COMPRESSION,
      CompressionType.LZ4_COMPRESSION,
      CompressionType.LZ4_COMPRESSION);

  /** Values this large or larger are kept in blob files, smaller ones in the tables with their keys. */
  static final int BLOB_MIN_BYTES = 1024;

  /** Opens (creating if needed) the store in {@code dir}, with RocksDB's default write buffers (64 MiB). */
  public static DataStore open(Path dir) throws IOException {
    return open(dir, 64L << 20);
  }

  /**
   * Opens (creating if needed) the store in {@code dir}. Each family's write buffer (memtable) holds
   * {@code writeBufferBytes}: with no write-ahead log, a crash loses what they hold.
   */
  public static DataStore open(Path dir, long writeBufferBytes) throws IOException {
    return new DataStore(RocksDatabase.open(
        dir,
        "data store",
        // Memtables are all flushed at once, so a crash leaves the families at one point in time.
        new DBOptions().setAtomicFlush(true),
        new ColumnFamilyOptions()
            .setCompressionPerLevel(COMPRESSION_PER_LEVEL)
            .setWriteBufferSize(writeBufferBytes)
            // Stored batches of a kilobyte or more go to blob files at flush, compressed once, and
            // compactions move keys only: kept inline, every batch was rewritten by compactions
            // after its flush (more bytes than the flushes wrote, on a node's one compaction
            // thread). Garbage collection rewrites what is still live in the oldest quarter of the
            // blob files, so the space of deleted records (retention, compacted topics) comes back
            // even where a file mixes partitions that keep theirs.
            .setEnableBlobFiles(true)
            .setMinBlobSize(BLOB_MIN_BYTES)
            .setBlobCompressionType(CompressionType.LZ4_COMPRESSION)
            .setEnableBlobGarbageCollection(true),
        "records",
        "partition_state",
        "producers",
        "group_offsets",
        "queue_progress",
        "queue_records"));
  }

  /** The store's view of one partition replica. */
  public PartitionStore partition(long partitionKey) {
    return new PartitionStore(this, partitionKey);
  }

  RocksDB db() {
    return database.db();
  }

  WriteOptions writeOptions() {
    return writeOptions;
  }

  /** For writes that no Raft entry repeats: they must survive a crash on their own. */
  WriteOptions durableWriteOptions() {
    return durableWriteOptions;
  }

  /** Makes every write so far durable, by flushing the memtables (all at once: atomic flush). */
  public void flush() {
    try (FlushOptions options = new FlushOptions().setWaitForFlush(true)) {
      database.db().flush(options, database.families());
    } catch (RocksDBException e) {
      throw new StorageException("flushing the data store failed", e);
    }
  }

  @Override
  public void close() {
    database.close();
    writeOptions.close();
    durableWriteOptions.close();
  }

  /** See {@link RocksDatabase#property}: for the node's metrics. */
  public long property(String name) {
    return database.property(name);
  }
}
