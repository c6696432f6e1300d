package io.ordo.raft.storage;

import io.ordo.raft.rocksdb.RocksDatabase;
import java.io.IOException;
import java.nio.file.Path;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

/**
 * The node's RocksDB. Column families: {@code records} (batches, key = partition + base offset),
 * {@code partition_state} (one {@code PartitionState} per partition, key = partition) and
 * {@code producers} (idempotent producers' last appends, key = partition + producer id). Later
 * kinds of partition data (consumer-group offsets, queue state) get column families of their own
 * and are written in the same atomic batches.
 */
public final class DataStore implements AutoCloseable {
  private final RocksDatabase database;
  private final WriteOptions writeOptions;
  final ColumnFamilyHandle records;
  final ColumnFamilyHandle partitionState;
  final ColumnFamilyHandle producers;

  private DataStore(RocksDatabase database) {
    this.database = database;
    // The Raft log is the durable copy; see package-info.
    this.writeOptions = new WriteOptions().setSync(false);
    this.records = database.family(0);
    this.partitionState = database.family(1);
    this.producers = database.family(2);
  }

  /** Opens (creating if needed) the store in {@code dir}. */
  public static DataStore open(Path dir) throws IOException {
    return new DataStore(RocksDatabase.open(
        dir,
        "data store",
        new ColumnFamilyOptions().setCompressionType(CompressionType.LZ4_COMPRESSION),
        "records",
        "partition_state",
        "producers"));
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
}
