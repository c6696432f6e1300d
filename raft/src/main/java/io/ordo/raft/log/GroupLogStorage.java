package io.ordo.raft.log;

import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.conf.ConfigurationEntry;
import com.alipay.sofa.jraft.conf.ConfigurationManager;
import com.alipay.sofa.jraft.entity.EnumOutter.EntryType;
import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.LogId;
import com.alipay.sofa.jraft.entity.codec.LogEntryDecoder;
import com.alipay.sofa.jraft.entity.codec.LogEntryEncoder;
import com.alipay.sofa.jraft.entity.codec.v2.LogEntryV2CodecFactory;
import com.alipay.sofa.jraft.option.LogStorageOptions;
import com.alipay.sofa.jraft.storage.LogStorage;
import io.ordo.jraft.LogSyncRound;
import java.util.List;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One group's Raft log inside the node's {@link RaftLogStore}: the same contract as jraft's
 * per-group RocksDB log storage (entries, configuration history, first index kept across
 * truncation), on a key range of the shared database.
 */
final class GroupLogStorage implements LogStorage {
  private static final Logger LOG = LoggerFactory.getLogger(GroupLogStorage.class);

  private final RaftLogStore store;
  private final String groupId;
  private final GroupKeys keys;
  private final WriteOptions writeOptions;
  /** Whether appends are durable when jraft is told: then a log thread's round may sync them later, but before. */
  private final boolean sync;
  /** Appends hold it shared; reset holds it exclusively, so no append interleaves a reset. */
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private final TermRuns terms = new TermRuns();
  private LogEntryEncoder encoder;
  /** Whether entries are in jraft's V2 format, which {@link DirectEntryEncoder} writes without an array per entry. */
  private boolean encodesV2;
  private LogEntryDecoder decoder;
  private volatile long firstLogIndex = 1;

  GroupLogStorage(RaftLogStore store, String groupId, boolean sync) {
    this.store = store;
    this.groupId = groupId;
    this.keys = new GroupKeys(groupId);
    this.sync = sync;
    this.writeOptions = sync ? store.syncWrite : store.unsyncedWrite;
  }

  @Override
  public boolean init(LogStorageOptions options) {
    encoder = options.getLogEntryCodecFactory().encoder();
    encodesV2 = options.getLogEntryCodecFactory() instanceof LogEntryV2CodecFactory;
    decoder = options.getLogEntryCodecFactory().decoder();
    try {
      byte[] first = store.db.get(store.meta, keys.metaKey());
      firstLogIndex = first != null ? GroupKeys.readBigEndian(first, 0) : firstKeyOrOne();
      loadConfigurations(options.getConfigurationManager());
      return true;
    } catch (RocksDBException e) {
      LOG.error("{}: cannot load the Raft log", groupId, e);
      return false;
    }
  }

  private long firstKeyOrOne() {
    try (RocksIterator it = store.db.newIterator(store.entries)) {
      it.seek(keys.first());
      return it.isValid() && keys.owns(it.key()) ? keys.indexOf(it.key()) : 1;
    }
  }

  private void loadConfigurations(ConfigurationManager manager) {
    try (ReadOptions options = new ReadOptions();
        Slice end = new Slice(keys.end());
        RocksIterator it = store.db.newIterator(store.conf, options.setIterateUpperBound(end))) {
      for (it.seek(keys.entry(firstLogIndex)); it.isValid(); it.next()) {
        LogEntry entry = decoder.decode(it.value());
        if (entry == null || entry.getType() != EntryType.ENTRY_TYPE_CONFIGURATION) {
          throw new IllegalStateException(groupId + ": corrupt configuration entry at " + keys.indexOf(it.key()));
        }
        ConfigurationEntry conf = new ConfigurationEntry();
        conf.setId(new LogId(entry.getId().getIndex(), entry.getId().getTerm()));
        conf.setConf(new Configuration(entry.getPeers(), entry.getLearners()));
        if (entry.getOldPeers() != null) {
          conf.setOldConf(new Configuration(entry.getOldPeers(), entry.getOldLearners()));
        }
        if (manager != null) {
          manager.add(conf);
        }
      }
    }
  }

  @Override
  public void shutdown() {
    // The store is shared by every group; the node closes it.
  }

  @Override
  public long getFirstLogIndex() {
    return firstLogIndex;
  }

  @Override
  public long getLastLogIndex() {
    try (RocksIterator it = store.db.newIterator(store.entries)) {
      it.seekForPrev(keys.entry(Long.MAX_VALUE));
      return it.isValid() && keys.owns(it.key()) ? keys.indexOf(it.key()) : 0;
    }
  }

  @Override
  public LogEntry getEntry(long index) {
    if (index < firstLogIndex) {
      return null;
    }
    try {
      byte[] value = store.db.get(store.entries, keys.entry(index));
      if (value == null) {
        return null;
      }
      LogEntry entry = decoder.decode(value);
      if (entry == null) {
        LOG.error("{}: undecodable log entry at index {}", groupId, index);
      }
      return entry;
    } catch (RocksDBException e) {
      LOG.error("{}: cannot read log entry {}", groupId, index, e);
      return null;
    }
  }

  /**
   * Deprecated in jraft's interface, but what its log manager, patched, asks for a term: known here
   * for the entries written since the log opened, without reading them back.
   */
  @Override
  @Deprecated
  public long getTerm(long index) {
    if (index < firstLogIndex) {
      return 0;
    }
    long term = terms.term(index);
    if (term != 0) {
      return term;
    }
    LogEntry entry = getEntry(index);
    return entry == null ? 0 : entry.getId().getTerm();
  }

  @Override
  public boolean appendEntry(LogEntry entry) {
    return appendEntries(List.of(entry)) == 1;
  }

  @Override
  public int appendEntries(List<LogEntry> entries) {
    if (entries == null || entries.isEmpty()) {
      return 0;
    }
    lock.readLock().lock();
    try (WriteBatch batch = new WriteBatch()) {
      for (LogEntry entry : entries) {
        byte[] key = keys.entry(entry.getId().getIndex());
        if (entry.getType() == EntryType.ENTRY_TYPE_CONFIGURATION || !encodesV2 || !DirectEntryEncoder.put(batch, store.entries, key, entry)) {
          byte[] value = encoder.encode(entry);
          batch.put(store.entries, key, value);
          if (entry.getType() == EntryType.ENTRY_TYPE_CONFIGURATION) {
            batch.put(store.conf, key, value);
          }
        }
      }
      store.append(batch, sync && !LogSyncRound.deferSync(store.syncAppends));
      for (LogEntry entry : entries) {
        terms.appended(entry.getId().getIndex(), entry.getId().getTerm());
      }
      return entries.size();
    } catch (RocksDBException e) {
      LOG.error("{}: appending {} entries failed", groupId, entries.size(), e);
      store.writeFailed(groupId, e);
      return 0;
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public boolean truncatePrefix(long firstIndexKept) {
    lock.readLock().lock();
    try (WriteBatch batch = new WriteBatch()) {
      long first = firstLogIndex;
      batch.put(store.meta, keys.metaKey(), GroupKeys.bigEndian(firstIndexKept));
      batch.deleteRange(store.entries, keys.entry(first), keys.entry(firstIndexKept));
      batch.deleteRange(store.conf, keys.entry(first), keys.entry(firstIndexKept));
      store.db.write(writeOptions, batch);
      firstLogIndex = firstIndexKept;
      terms.truncatedBefore(firstIndexKept);
      return true;
    } catch (RocksDBException e) {
      LOG.error("{}: truncating the log before {} failed", groupId, firstIndexKept, e);
      store.writeFailed(groupId, e);
      return false;
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public boolean truncateSuffix(long lastIndexKept) {
    lock.readLock().lock();
    terms.truncatingAfter(lastIndexKept);
    try (WriteBatch batch = new WriteBatch()) {
      batch.deleteRange(store.entries, keys.entry(lastIndexKept + 1), keys.end());
      batch.deleteRange(store.conf, keys.entry(lastIndexKept + 1), keys.end());
      store.db.write(writeOptions, batch);
      return true;
    } catch (RocksDBException e) {
      LOG.error("{}: truncating the log after {} failed", groupId, lastIndexKept, e);
      store.writeFailed(groupId, e);
      return false;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** After a snapshot install: an empty log whose next entry is {@code nextLogIndex}. */
  @Override
  public boolean reset(long nextLogIndex) {
    if (nextLogIndex <= 0) {
      throw new IllegalArgumentException("next log index must be positive: " + nextLogIndex);
    }
    lock.writeLock().lock();
    terms.forget();
    try (WriteBatch batch = new WriteBatch()) {
      LogEntry kept = getEntry(nextLogIndex);
      if (kept == null) {
        kept = new LogEntry(EntryType.ENTRY_TYPE_NO_OP);
        kept.setId(new LogId(nextLogIndex, 0));
      }
      batch.deleteRange(store.entries, keys.first(), keys.end());
      batch.deleteRange(store.conf, keys.first(), keys.end());
      batch.put(store.meta, keys.metaKey(), GroupKeys.bigEndian(nextLogIndex));
      batch.put(store.entries, keys.entry(nextLogIndex), encoder.encode(kept));
      store.db.write(writeOptions, batch);
      firstLogIndex = nextLogIndex;
      terms.appended(nextLogIndex, kept.getId().getTerm());
      return true;
    } catch (RocksDBException e) {
      LOG.error("{}: resetting the log to {} failed", groupId, nextLogIndex, e);
      store.writeFailed(groupId, e);
      return false;
    } finally {
      lock.writeLock().unlock();
    }
  }
}
