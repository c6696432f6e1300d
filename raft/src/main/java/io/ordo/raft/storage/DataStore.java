package io.ordo.raft.storage;

import io.ordo.raft.rocksdb.RocksDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.MutableColumnFamilyOptions;
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
  /** The families whose blob garbage collection {@link #collectBlobGarbage} turned on. */
  private final Set<ColumnFamilyHandle> collectingBlobGarbage = new HashSet<>();

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

  /** A family's blob garbage collection starts once deleted batches hold this share of its blob bytes... */
  static final double BLOB_GARBAGE_START_SHARE = 0.25;
  /** ...and stops once they hold this share or less. */
  static final double BLOB_GARBAGE_STOP_SHARE = 0.05;
  /**
   * While it runs, a compaction is forced onto the oldest blob files once this share of their bytes
   * is garbage, so that a store nobody writes to collects too.
   */
  private static final double BLOB_GARBAGE_FORCE_SHARE = 0.5;

  /**
   * How stored batches are compressed as flushes write them to blob files. Either setting reads
   * what the other wrote: each blob file names its codec.
   */
  public enum Compression {
    /**
     * As producers wrote them, the default of Kafka (its producers send uncompressed unless told
     * to), NATS and Pulsar: compressing belongs where it is known whether records compress. LZ4
     * spent 5.5% of a node's CPU writing incompressible records and 4% reading them (async-profiler).
     */
    NONE(CompressionType.NO_COMPRESSION),
    /** LZ4: fewer bytes on disk and in the page cache for records that compress. */
    LZ4(CompressionType.LZ4_COMPRESSION);

    private final CompressionType rocksdb;

    Compression(CompressionType rocksdb) {
      this.rocksdb = rocksdb;
    }
  }

  /** Opens (creating if needed) the store in {@code dir}, with RocksDB's default write buffers (64 MiB). */
  public static DataStore open(Path dir) throws IOException {
    return open(dir, 64L << 20, Compression.NONE);
  }

  /**
   * Opens (creating if needed) the store in {@code dir}. Each family's write buffer (memtable) holds
   * {@code writeBufferBytes}: with no write-ahead log, a crash loses what they hold.
   */
  public static DataStore open(Path dir, long writeBufferBytes, Compression compression) throws IOException {
    return new DataStore(RocksDatabase.open(
        dir,
        "data store",
        // Memtables are all flushed at once, so a crash leaves the families at one point in time.
        // Flushes and compactions write past the page cache where O_DIRECT works: the kernel's
        // copying of the flushed batches into it took a tenth of a node's CPU under load, and
        // without it nodes spent 19% less CPU per record and wrote 8% more (two pairs of 4M-record
        // runs, one cluster each). Reads still go through the page cache, and a consumer reading
        // from the start read as fast as before (299k against 301k records/s, 2M records, right
        // after the writes); a consumer keeping up reads from the memtable.
        new DBOptions()
            .setAtomicFlush(true)
            .setUseDirectIoForFlushAndCompaction(RocksDatabase.directIoWorks(dir)),
        new ColumnFamilyOptions()
            .setCompressionPerLevel(COMPRESSION_PER_LEVEL)
            .setWriteBufferSize(writeBufferBytes)
            // Stored batches of a kilobyte or more go to blob files at flush, and compactions
            // move keys only: kept inline, every batch was rewritten by compactions
            // after its flush (more bytes than the flushes wrote, on a node's one compaction
            // thread). Garbage collection runs only while there is garbage: see collectBlobGarbage.
            .setEnableBlobFiles(true)
            .setMinBlobSize(BLOB_MIN_BYTES)
            .setBlobCompressionType(compression.rocksdb)
            .setEnableBlobGarbageCollection(false)
            .setBlobGarbageCollectionForceThreshold(BLOB_GARBAGE_FORCE_SHARE),
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

  /**
   * Turns each family's blob garbage collection on while deleted batches (retention, compacted
   * topics, finished queue records) hold at least {@link #BLOB_GARBAGE_START_SHARE} of its blob
   * bytes, and off once they hold {@link #BLOB_GARBAGE_STOP_SHARE}; called now and then. While on,
   * every compaction rewrites the live batches it meets in the oldest quarter of the blob files, so
   * a file that mixes partitions gives back the space of the ones that deleted theirs. Left on, it
   * rewrote them over and over in a store that deleted nothing: a flush's keys span every
   * partition, so each compaction meets most of the store's keys (after a million records a node
   * had written half as many bytes again as its flushes, and more the larger the store grew).
   */
  public synchronized void collectBlobGarbage() {
    for (ColumnFamilyHandle family : database.families()) {
      long bytes = database.property(family, "rocksdb.live-blob-file-size");
      long garbage = database.property(family, "rocksdb.live-blob-file-garbage-size");
      if (bytes <= 0 || garbage < 0) {
        continue;
      }
      boolean collecting = collectingBlobGarbage.contains(family);
      double share = (double) garbage / bytes;
      boolean collect = collecting ? share > BLOB_GARBAGE_STOP_SHARE : share >= BLOB_GARBAGE_START_SHARE;
      if (collect != collecting) {
        try {
          database.db().setOptions(family,
              MutableColumnFamilyOptions.builder().setEnableBlobGarbageCollection(collect).build());
        } catch (RocksDBException e) {
          throw new StorageException("turning blob garbage collection " + (collect ? "on" : "off") + " failed", e);
        }
        if (collect) {
          collectingBlobGarbage.add(family);
        } else {
          collectingBlobGarbage.remove(family);
        }
      }
    }
  }

  /** Whether {@link #collectBlobGarbage} has turned {@code family}'s collection on: for tests. */
  synchronized boolean collectsBlobGarbage(ColumnFamilyHandle family) {
    return collectingBlobGarbage.contains(family);
  }

  /** See {@link RocksDatabase#property}: for the node's metrics. */
  public long property(String name) {
    return database.property(name);
  }
}
