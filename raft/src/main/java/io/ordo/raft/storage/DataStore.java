package io.ordo.raft.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
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
  static {
    RocksDB.loadLibrary();
  }

  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final WriteOptions writeOptions;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  final ColumnFamilyHandle records;
  final ColumnFamilyHandle partitionState;
  final ColumnFamilyHandle producers;

  private DataStore(Path dir) throws RocksDBException, IOException {
    Files.createDirectories(dir);
    dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    cfOptions = new ColumnFamilyOptions().setCompressionType(CompressionType.LZ4_COMPRESSION);
    // The Raft log is the durable copy; see package-info.
    writeOptions = new WriteOptions().setSync(false);
    List<ColumnFamilyDescriptor> descriptors =
        List.of(
            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
            new ColumnFamilyDescriptor("records".getBytes(), cfOptions),
            new ColumnFamilyDescriptor("partition_state".getBytes(), cfOptions),
            new ColumnFamilyDescriptor("producers".getBytes(), cfOptions));
    db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    records = handles.get(1);
    partitionState = handles.get(2);
    producers = handles.get(3);
  }

  /** Opens (creating if needed) the store in {@code dir}. */
  public static DataStore open(Path dir) throws IOException {
    try {
      return new DataStore(dir);
    } catch (RocksDBException e) {
      throw new IOException("cannot open the data store in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The store's view of one partition replica. */
  public PartitionStore partition(long partitionKey) {
    return new PartitionStore(this, partitionKey);
  }

  RocksDB db() {
    return db;
  }

  WriteOptions writeOptions() {
    return writeOptions;
  }

  /** Makes every write so far durable. */
  public void syncWal() {
    try {
      db.flushWal(true);
    } catch (RocksDBException e) {
      throw new StorageException("fsync of the data store's WAL failed", e);
    }
  }

  @Override
  public void close() {
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    db.close();
    writeOptions.close();
    cfOptions.close();
    dbOptions.close();
  }
}
