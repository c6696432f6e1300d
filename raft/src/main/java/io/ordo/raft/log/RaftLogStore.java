package io.ordo.raft.log;

import com.alipay.sofa.jraft.core.DefaultJRaftServiceFactory;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.storage.LogStorage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

/**
 * The node's Raft log database. Column families: {@code entries} (every entry), {@code conf}
 * (configuration entries again, to rebuild a group's membership history at start) and {@code
 * meta} (each group's first log index). Keys start with the group id and a 0 byte, then the
 * big-endian index, so each group's entries are one contiguous, ordered range.
 */
public final class RaftLogStore implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  final RocksDB db;
  final ColumnFamilyHandle entries;
  final ColumnFamilyHandle conf;
  final ColumnFamilyHandle meta;
  /** Synced: an entry is durable when jraft is told it is appended. */
  final WriteOptions syncWrite;

  private RaftLogStore(Path dir) throws RocksDBException, IOException {
    Files.createDirectories(dir);
    dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    cfOptions = new ColumnFamilyOptions();
    syncWrite = new WriteOptions().setSync(true);
    db =
        RocksDB.open(
            dbOptions,
            dir.toString(),
            List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                new ColumnFamilyDescriptor("entries".getBytes(StandardCharsets.UTF_8), cfOptions),
                new ColumnFamilyDescriptor("conf".getBytes(StandardCharsets.UTF_8), cfOptions),
                new ColumnFamilyDescriptor("meta".getBytes(StandardCharsets.UTF_8), cfOptions)),
            handles);
    entries = handles.get(1);
    conf = handles.get(2);
    meta = handles.get(3);
  }

  public static RaftLogStore open(Path dir) throws IOException {
    try {
      return new RaftLogStore(dir);
    } catch (RocksDBException e) {
      throw new IOException("cannot open the Raft log store in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * A jraft service factory whose groups keep their logs here. The group's log URI (NodeOptions
   * logUri) must be its group id.
   */
  public DefaultJRaftServiceFactory serviceFactory() {
    return new DefaultJRaftServiceFactory() {
      @Override
      public LogStorage createLogStorage(String uri, RaftOptions raftOptions) {
        return new GroupLogStorage(RaftLogStore.this, uri, raftOptions.isSync());
      }
    };
  }

  /** Deletes every entry and the meta of group {@code groupId}. */
  public void deleteGroup(String groupId) {
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
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    syncWrite.close();
    cfOptions.close();
    dbOptions.close();
  }
}
