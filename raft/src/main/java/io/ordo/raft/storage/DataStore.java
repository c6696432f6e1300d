package io.ordo.raft.storage;

import io.ordo.raft.rocksdb.RocksDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
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
    // The Raft log is the durable copy; see package-info.
    this.writeOptions = new WriteOptions().setSync(false);
    this.records = database.family(0);
    this.partitionState = database.family(1);
    this.producers = database.family(2);
    this.groupOffsets = database.family(3);
    this.queueProgress = database.family(4);
    this.queueRecords = database.family(5);
    this.partitionScoped = List.of(records, producers, groupOffsets, queueProgress, queueRecords);
  }

  /** Opens (creating if needed) the store in {@code dir}. */
  public static DataStore open(Path dir) throws IOException {
    return new DataStore(RocksDatabase.open(
        dir,
        "data store",
        new ColumnFamilyOptions().setCompressionType(CompressionType.LZ4_COMPRESSION),
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

  /** Makes every write so far durable. */
  public void syncWal() {
    try {
      database.db().flushWal(true);
    } catch (RocksDBException e) {
      throw new StorageException("fsync of the data store's WAL failed", e);
    }
  }

  @Override
  public void close() {
    database.close();
    writeOptions.close();
  }

  /** See {@link RocksDatabase#property}: for the node's metrics. */
  public long property(String name) {
    return database.property(name);
  }
}
