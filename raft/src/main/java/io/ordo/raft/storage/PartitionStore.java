package io.ordo.raft.storage;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.ordo.proto.raft.v1.GroupOffset;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.proto.raft.v1.ProducerState;
import io.ordo.proto.raft.v1.QueueProgress;
import io.ordo.proto.raft.v1.QueueRecord;
import io.ordo.proto.raft.v1.SnapshotBatch;
import io.ordo.proto.raft.v1.SnapshotItem;
import io.ordo.proto.raft.v1.SnapshotQueueRecord;
import io.ordo.proto.raft.v1.StoredBatch;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.Record;
import io.ordo.proto.v1.RecordBatch;
import io.ordo.raft.queue.RecordKeys;
import io.ordo.raft.queue.StoredQueueGroup;
import io.ordo.raft.rocksdb.DirectPut;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;

/**
 * One partition replica's data in the node's {@link DataStore}: its batches and its state. Writes
 * come only from the replica's apply thread; reads may come from any thread and see only whole
 * apply rounds.
 */
public final class PartitionStore {
  /** Bytes of a stored batch that hold its log time: the first field's tag and varint. */
  private static final int STORED_HEAD_BYTES = 16;
  /** Batches written per RocksDB write while importing a snapshot. */
  private static final int IMPORT_CHUNK_BYTES = 8 * 1024 * 1024;

  private final DataStore store;
  private final long partitionKey;
  private final byte[] stateKey;

  PartitionStore(DataStore store, long partitionKey) {
    this.store = store;
    this.partitionKey = partitionKey;
    this.stateKey = KeyCodec.partitionPrefix(partitionKey);
  }

  /** The stored state, or the empty state of a new replica. */
  public PartitionState readState() {
    try {
      byte[] bytes = store.db().get(store.partitionState, stateKey);
      return bytes == null ? PartitionState.getDefaultInstance() : PartitionState.parseFrom(bytes);
    } catch (RocksDBException | InvalidProtocolBufferException e) {
      throw new StorageException("cannot read the state of partition key " + partitionKey, e);
    }
  }

  /** Every idempotent producer the partition remembers. */
  public List<ProducerState> readProducers() {
    return readAll(store.producers, ProducerState.parser(), "producer state");
  }

  /** Every stream group's offset and owner in the partition. */
  public List<GroupOffset> readGroupOffsets() {
    return readAll(store.groupOffsets, GroupOffset.parser(), "group offset");
  }

  /** The stream group's offset and owner in the partition, if it has one. */
  public Optional<GroupOffset> readGroupOffset(String group) {
    try {
      byte[] bytes = store.db().get(store.groupOffsets, KeyCodec.groupKey(partitionKey, group));
      return bytes == null ? Optional.empty() : Optional.of(GroupOffset.parseFrom(bytes));
    } catch (RocksDBException | InvalidProtocolBufferException e) {
      throw new StorageException("cannot read group '" + group + "' of partition key " + partitionKey, e);
    }
  }

  /** Every queue group of the partition, by name. */
  public Map<String, StoredQueueGroup> readQueueGroups() {
    Map<String, StoredQueueGroup> out = new TreeMap<>();
    for (QueueProgress progress : readAll(store.queueProgress, QueueProgress.parser(), "queue progress")) {
      out.put(progress.getGroup(), new StoredQueueGroup(progress, new ArrayList<>()));
    }
    try (ReadOptions options = new ReadOptions();
        Slice upper = new Slice(KeyCodec.partitionEnd(partitionKey));
        RocksIterator it = store.db().newIterator(store.queueRecords, options.setIterateUpperBound(upper))) {
      for (it.seek(KeyCodec.partitionPrefix(partitionKey)); it.isValid(); it.next()) {
        String group = KeyCodec.queueGroupOf(it.key());
        StoredQueueGroup state = out.get(group);
        if (state == null) {
          throw new StorageException("partition key " + partitionKey + " holds records of queue group '" + group
              + "', which has no progress");
        }
        state.records().add(QueueRecord.parseFrom(it.value()));
      }
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt queue record in partition key " + partitionKey, e);
    }
    return out;
  }

  /** Records of a queue group the store read, and the offset to read on from (-1 at the group's last). */
  public record QueueRecords(List<QueueRecord> records, long nextOffset) {}

  /** Queue records a {@link #readQueueRecords} call examines, at most, whatever it finds. */
  public static final int MAX_QUEUE_RECORDS_SCANNED = 100_000;

  /**
   * The group's unfinished records from {@code fromOffset} on that {@code wanted} accepts, in
   * offset order: at most {@code max} of them, from at most {@link #MAX_QUEUE_RECORDS_SCANNED}
   * examined.
   */
  public QueueRecords readQueueRecords(String group, long fromOffset, int max, Predicate<QueueRecord> wanted) {
    List<QueueRecord> out = new ArrayList<>();
    int scanned = 0;
    try (ReadOptions options = new ReadOptions();
        Slice upper = new Slice(KeyCodec.partitionEnd(partitionKey));
        RocksIterator it = store.db().newIterator(store.queueRecords, options.setIterateUpperBound(upper))) {
      for (it.seek(KeyCodec.queueRecordKey(partitionKey, group, fromOffset));
          it.isValid() && KeyCodec.queueGroupOf(it.key()).equals(group);
          it.next()) {
        QueueRecord record = QueueRecord.parseFrom(it.value());
        if (out.size() == max || scanned == MAX_QUEUE_RECORDS_SCANNED) {
          return new QueueRecords(out, record.getOffset());
        }
        scanned++;
        if (wanted.test(record)) {
          out.add(record);
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt queue record in partition key " + partitionKey, e);
    }
    return new QueueRecords(out, -1);
  }

  private <T> List<T> readAll(ColumnFamilyHandle family, Parser<T> parser, String what) {
    List<T> out = new ArrayList<>();
    try (ReadOptions options = new ReadOptions();
        Slice upper = new Slice(KeyCodec.partitionEnd(partitionKey));
        RocksIterator it = store.db().newIterator(family, options.setIterateUpperBound(upper))) {
      for (it.seek(KeyCodec.partitionPrefix(partitionKey)); it.isValid(); it.next()) {
        out.add(parser.parseFrom(it.value()));
      }
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt " + what + " in partition key " + partitionKey, e);
    }
    return out;
  }

  /** Starts an atomic write. */
  public Writer newWriter() {
    return new Writer();
  }

  /** Stages writes; {@link #commit()} applies them atomically. */
  public final class Writer implements PartitionWrites, AutoCloseable {
    /** Marks a batch staged for deletion in {@link #staged} (compared by identity). */
    private static final MessageLite DELETED = StoredBatch.newBuilder().build();
    private static final byte[] NO_PREFIX = new byte[0];

    private final WriteBatch batch = new WriteBatch();
    /**
     * The batches staged, by base offset, as stored, and those deleted one by one ({@link
     * #DELETED}): the store cannot read them back until the commit.
     */
    private final NavigableMap<Long, MessageLite> staged = new TreeMap<>();
    /**
     * Batches based below this were deleted by {@link #deleteBatches} this round: the store still
     * shows them until the commit.
     */
    private long trimmedBelow = Long.MIN_VALUE;

    @Override
    public long[] keyHashes(long fromOffset, int count) {
      long[] out = new long[count];
      int filled = 0;
      long committedEnd = staged.isEmpty() ? fromOffset + count : Math.min(fromOffset + count, staged.firstKey());
      if (fromOffset < committedEnd) {
        filled = storedKeyHashes(fromOffset, committedEnd, out);
      }
      long base = Long.MIN_VALUE;
      StoredBatch holding = null;
      for (; filled < count; filled++) {
        long offset = fromOffset + filled;
        Map.Entry<Long, MessageLite> floor = staged.floorEntry(offset);
        if (floor != null && floor.getKey() != base) {
          base = floor.getKey();
          holding = floor.getValue() == DELETED ? null : asBatch(floor.getValue());
        }
        if (floor == null || holding == null || offset >= base + holding.getRecordsCount()) {
          throw new StorageException("partition key " + partitionKey + " has no record at offset " + offset);
        }
        out[filled] = RecordKeys.hash(holding.getRecords((int) (offset - base)).getKey());
      }
      return out;
    }

    @Override
    public void putBatch(long baseOffset, MessageLite storedBatch) {
      staged.put(baseOffset, storedBatch);
      try {
        DirectPut.put(batch, store.records, KeyCodec.batchKey(partitionKey, baseOffset), NO_PREFIX, storedBatch);
      } catch (RocksDBException e) {
        throw new StorageException("cannot stage a batch", e);
      }
    }

    @Override
    public void deleteBatches(long fromOffset, long toOffset) {
      staged.headMap(toOffset).clear();
      trimmedBelow = Math.max(trimmedBelow, toOffset);
      try {
        batch.deleteRange(
            store.records, KeyCodec.batchKey(partitionKey, fromOffset), KeyCodec.batchKey(partitionKey, toOffset));
      } catch (RocksDBException e) {
        throw new StorageException("cannot stage deleting batches", e);
      }
    }

    @Override
    public void deleteBatch(long baseOffset) {
      staged.put(baseOffset, DELETED);
      try {
        batch.delete(store.records, KeyCodec.batchKey(partitionKey, baseOffset));
      } catch (RocksDBException e) {
        throw new StorageException("cannot stage deleting a batch", e);
      }
    }

    @Override
    public NavigableMap<Long, StoredBatch> batches(long fromOffset, long toOffset) {
      NavigableMap<Long, StoredBatch> out = new TreeMap<>();
      if (fromOffset >= toOffset) {
        return out;
      }
      long first = scanBatches(KeyCodec.batchKey(partitionKey, toOffset), it -> {
        // The batch holding fromOffset begins at the later of the stored and the staged floor (a
        // replica replaying its log may hold this round's batches only staged).
        it.seekForPrev(KeyCodec.batchKey(partitionKey, fromOffset));
        long storedFloor = it.isValid() && KeyCodec.partitionKeyOf(it.key()) == partitionKey
            && KeyCodec.baseOffsetOf(it.key()) >= trimmedBelow // else deleted this round
            ? KeyCodec.baseOffsetOf(it.key())
            : Long.MIN_VALUE;
        Long stagedFloor = staged.floorKey(fromOffset);
        long floor = Math.max(storedFloor, stagedFloor == null ? Long.MIN_VALUE : stagedFloor);
        long from = floor == Long.MIN_VALUE ? fromOffset : floor;
        for (it.seek(KeyCodec.batchKey(partitionKey, Math.max(from, trimmedBelow))); it.isValid(); it.next()) {
          out.put(KeyCodec.baseOffsetOf(it.key()), parseBatch(it.value()));
        }
        return from;
      });
      staged.subMap(first, toOffset).forEach((base, stored) -> {
        if (stored == DELETED) {
          out.remove(base);
        } else {
          out.put(base, asBatch(stored));
        }
      });
      return out;
    }

    @Override
    public long lastBatchBase() {
      long stored = PartitionStore.this.lastBatchBase();
      long last = stored < trimmedBelow ? -1 : stored; // a trim this round deleted every stored batch
      for (Map.Entry<Long, MessageLite> e : staged.descendingMap().entrySet()) {
        if (e.getKey() <= last) {
          break;
        }
        if (e.getValue() != DELETED) {
          return e.getKey();
        }
      }
      return last;
    }

    @Override
    public void putProducer(ProducerState producer) {
      try {
        batch.put(
            store.producers, KeyCodec.producerKey(partitionKey, producer.getProducerId()), producer.toByteArray());
      } catch (RocksDBException e) {
        throw new StorageException("cannot stage a producer's state", e);
      }
    }

    @Override
    public void deleteProducer(long producerId) {
      try {
        batch.delete(store.producers, KeyCodec.producerKey(partitionKey, producerId));
      } catch (RocksDBException e) {
        throw new StorageException("cannot stage a producer's removal", e);
      }
    }

    @Override
    public void putGroupOffset(GroupOffset offset) {
      try {
        batch.put(store.groupOffsets, KeyCodec.groupKey(partitionKey, offset.getGroup()), offset.toByteArray());
      } catch (RocksDBException e) {
        throw new StorageException("cannot stage a group offset", e);
      }
    }

    @Override
    public void deleteGroupOffset(String group) {
      try {
        batch.delete(store.groupOffsets, KeyCodec.groupKey(partitionKey, group));
      } catch (RocksDBException e) {
        throw new StorageException("cannot stage a group offset's removal", e);
      }
    }

    @Override
    public void putProgress(QueueProgress progress) {
      try {
        batch.put(store.queueProgress, KeyCodec.groupKey(partitionKey, progress.getGroup()), progress.toByteArray());
      } catch (RocksDBException e) {
        throw new StorageException("cannot stage a queue group's progress", e);
      }
    }

    @Override
    public void putQueueRecord(String group, QueueRecord record) {
      try {
        batch.put(store.queueRecords, KeyCodec.queueRecordKey(partitionKey, group, record.getOffset()), record.toByteArray());
      } catch (RocksDBException e) {
        throw new StorageException("cannot stage a queue record", e);
      }
    }

    @Override
    public void deleteQueueRecord(String group, long offset) {
      try {
        batch.delete(store.queueRecords, KeyCodec.queueRecordKey(partitionKey, group, offset));
      } catch (RocksDBException e) {
        throw new StorageException("cannot stage a queue record's removal", e);
      }
    }

    @Override
    public void putState(PartitionState state) {
      try {
        batch.put(store.partitionState, stateKey, state.toByteArray());
      } catch (RocksDBException e) {
        throw new StorageException("cannot stage the partition state", e);
      }
    }

    /** Bytes staged so far. */
    public long stagedBytes() {
      return batch.getDataSize();
    }

    public void commit() {
      try {
        store.db().write(store.writeOptions(), batch);
        batch.clear();
        staged.clear();
        trimmedBelow = Long.MIN_VALUE;
      } catch (RocksDBException e) {
        throw new StorageException("write to the data store failed", e);
      }
    }

    @Override
    public void close() {
      batch.close();
    }
  }

  /**
   * Records from {@code offset} up to (not including) {@code endOffset}: at most {@code maxRecords},
   * and no more than {@code maxBytes} of keys and values unless the first record alone is larger.
   */
  public List<ConsumedRecord> read(long offset, long endOffset, int maxRecords, int maxBytes) {
    List<ConsumedRecord> out = new ArrayList<>();
    if (offset >= endOffset) {
      return out;
    }
    return scanBatches(KeyCodec.partitionEnd(partitionKey), it -> {
      readInto(it, offset, endOffset, maxRecords, maxBytes, out);
      return out;
    });
  }

  /**
   * The stored batches holding the records from {@code offset} up to (not including) {@code
   * endOffset}, each as an encoded ordo.v1.RecordBatch: its stored bytes, undecoded, with its base
   * offset added. Whole batches, so the first may begin before {@code offset}: at least one, up to
   * and including the one that reaches {@code maxRecords} (counted from {@code offset}) or {@code
   * maxBytes} (stored bytes). Stopping there, not before the batch that would pass a limit, reads no
   * batch it does not send: positioning on a batch loads its value from the blob file.
   */
  public StoredBatches readBatches(long offset, long endOffset, int maxRecords, int maxBytes) {
    if (offset >= endOffset) {
      return new StoredBatches(List.of(), offset, offset);
    }
    return scanBatches(KeyCodec.partitionEnd(partitionKey), it -> batchesFrom(it, offset, endOffset, maxRecords, maxBytes));
  }

  private StoredBatches batchesFrom(RocksIterator it, long offset, long endOffset, int maxRecords, int maxBytes) {
    List<ByteString> out = new ArrayList<>();
    long from = offset;
    long next = offset;
    long records = 0;
    long bytes = 0;
    // Moving onto a batch loads its value from the blob file: only while the answer has room.
    for (seekToBatchHolding(it, offset); it.isValid(); it.next()) {
      long base = KeyCodec.baseOffsetOf(it.key());
      if (base >= endOffset) {
        break;
      }
      if (base < next && !out.isEmpty()) {
        throw new StorageException("partition key " + partitionKey + ": batch at " + base + " overlaps the one before, which ends at " + next);
      }
      byte[] stored = it.value();
      long end = Math.min(endOffset, storedEnd(base, stored));
      if (end <= offset) {
        continue; // the batch before offset holds none of it: compaction emptied the offsets after it
      }
      if (out.isEmpty()) {
        from = Math.max(base, offset);
      }
      out.add(UnsafeByteOperations.unsafeWrap(stored).concat(baseOffsetField(base)));
      records += end - Math.max(base, offset);
      bytes += stored.length;
      next = end;
      if (records >= maxRecords || bytes >= maxBytes) {
        break;
      }
    }
    return new StoredBatches(out, from, next);
  }

  /**
   * What {@link #readBatches} read: encoded ordo.v1.RecordBatch messages holding the records from
   * {@code fromOffset} (and maybe some before it) up to {@code nextOffset}.
   */
  public record StoredBatches(List<ByteString> batches, long fromOffset, long nextOffset) {}

  /** Where the log may start once its oldest batches are deleted, and the stored bytes they hold. */
  public record Trim(long startOffset, long bytes) {}

  /**
   * How far the log, which starts at {@code startOffset} (a batch's base offset), may be trimmed:
   * whole batches from the oldest on, while each was appended before {@code appendedBeforeMs} or the
   * bytes taken so far are under {@code excessBytes}; none that holds {@code keepFrom} or later;
   * at most {@code maxBatches}, so one trim stays bounded. Trims nothing if the oldest may not go.
   */
  public Trim planTrim(long startOffset, long keepFrom, long appendedBeforeMs, long excessBytes, int maxBatches) {
    // Only each batch's head (its log time, the first field) and size are read, not its records:
    // a plan may pass over thousands of large batches.
    ByteBuffer head = ByteBuffer.allocateDirect(STORED_HEAD_BYTES);
    return scanBatches(KeyCodec.partitionEnd(partitionKey), it -> {
      long start = startOffset;
      long bytes = 0;
      it.seek(KeyCodec.batchKey(partitionKey, startOffset));
      for (int batches = 0; batches < maxBatches && it.isValid(); batches++) {
        head.clear();
        int size = it.value(head);
        long timestamp = headTimestamp(head, Math.min(size, STORED_HEAD_BYTES));
        long base = KeyCodec.baseOffsetOf(it.key());
        it.next();
        long end;
        if (it.isValid()) {
          end = KeyCodec.baseOffsetOf(it.key());
        } else {
          it.seekForPrev(KeyCodec.batchKey(partitionKey, base)); // the last batch: its records say where it ends
          end = storedEnd(base, it.value());
          it.next();
        }
        if (end > keepFrom || (timestamp >= appendedBeforeMs && bytes >= excessBytes)) {
          break;
        }
        bytes += size;
        start = end;
      }
      return new Trim(start, bytes);
    });
  }

  /** A stored batch's log time from the first {@code length} bytes of {@code head}; 0 if it has none (a batch at time 0). */
  private long headTimestamp(ByteBuffer head, int length) {
    byte[] bytes = new byte[length];
    head.get(0, bytes);
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    try {
      int tag = in.readTag();
      // Fields are written in number order: a batch whose time is 0 starts with its records.
      return WireFormat.getTagFieldNumber(tag) == StoredBatch.TIMESTAMP_MS_FIELD_NUMBER ? in.readInt64() : 0;
    } catch (IOException e) {
      throw new StorageException("partition key " + partitionKey + ": undecodable stored batch", e);
    }
  }

  /**
   * Where a stored batch at {@code base} ends: after its last record, whose offset follows from
   * the field tags (its records counted, or its last offset delta once compacted) without decoding
   * the records.
   */
  private long storedEnd(long base, byte[] stored) {
    CodedInputStream in = CodedInputStream.newInstance(stored);
    int count = 0;
    long lastDelta = -1;
    try {
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        int field = WireFormat.getTagFieldNumber(tag);
        if (field == StoredBatch.RECORDS_FIELD_NUMBER) {
          count++;
          in.skipField(tag);
        } else if (field == StoredBatch.OFFSET_DELTAS_FIELD_NUMBER && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          int limit = in.pushLimit(in.readRawVarint32());
          while (!in.isAtEnd()) {
            lastDelta = Integer.toUnsignedLong(in.readUInt32());
          }
          in.popLimit(limit);
        } else if (field == StoredBatch.OFFSET_DELTAS_FIELD_NUMBER) {
          lastDelta = Integer.toUnsignedLong(in.readUInt32());
        } else {
          in.skipField(tag);
        }
      }
    } catch (IOException e) {
      throw new StorageException("partition key " + partitionKey + ": undecodable stored batch", e);
    }
    return base + (lastDelta < 0 ? count : lastDelta + 1);
  }

  /** RecordBatch's base_offset field, to follow a stored batch's bytes. */
  private static ByteString baseOffsetField(long base) {
    byte[] field = new byte[CodedOutputStream.computeInt64Size(RecordBatch.BASE_OFFSET_FIELD_NUMBER, base)];
    CodedOutputStream out = CodedOutputStream.newInstance(field);
    try {
      out.writeInt64(RecordBatch.BASE_OFFSET_FIELD_NUMBER, base);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("encoding into an array of its exact size", e);
    }
    return UnsafeByteOperations.unsafeWrap(field);
  }

  /** Hashes the keys of the stored records from {@code from} to {@code end} into {@code out}; returns how many. */
  private int storedKeyHashes(long from, long end, long[] out) {
    return scanBatches(KeyCodec.batchKey(partitionKey, end), it -> {
      int filled = 0;
      seekToBatchHolding(it, from);
      for (; it.isValid() && filled < out.length; it.next()) {
        long base = KeyCodec.baseOffsetOf(it.key());
        StoredBatch batch = parseBatch(it.value());
        for (int i = 0; i < batch.getRecordsCount() && offsetOf(batch, base, i) < end; i++) {
          long offset = offsetOf(batch, base, i);
          if (offset < from) {
            continue;
          }
          if (offset != from + filled) {
            throw new StorageException("partition key " + partitionKey + " has no record at offset " + (from + filled));
          }
          out[filled++] = RecordKeys.hash(batch.getRecords(i).getKey());
        }
      }
      return filled;
    });
  }

  /** The base offset of the partition's last stored batch; -1 if it has none. */
  public long lastBatchBase() {
    return scanBatches(KeyCodec.partitionEnd(partitionKey), it -> {
      it.seekToLast();
      return it.isValid() && KeyCodec.partitionKeyOf(it.key()) == partitionKey ? KeyCodec.baseOffsetOf(it.key()) : -1L;
    });
  }

  /** Receives stored batches in offset order; returns false to stop. */
  @FunctionalInterface
  public interface BatchVisitor {
    boolean visit(long baseOffset, StoredBatch batch, int storedBytes);
  }

  /** Shows {@code visitor} the stored batches whose base offsets are {@code fromOffset} up to {@code toOffset}, in order. */
  public void forEachBatch(long fromOffset, long toOffset, BatchVisitor visitor) {
    scanBatches(KeyCodec.batchKey(partitionKey, toOffset), it -> {
      for (it.seek(KeyCodec.batchKey(partitionKey, fromOffset)); it.isValid(); it.next()) {
        byte[] stored = it.value();
        if (!visitor.visit(KeyCodec.baseOffsetOf(it.key()), parseBatch(stored), stored.length)) {
          break;
        }
      }
      return null;
    });
  }

  /**
   * The stored bytes of the batches whose base offsets are {@code fromOffset} up to {@code
   * toOffset}, up to the first appended at or after {@code youngFromMs} (only their heads are read).
   */
  public long storedBytesBetween(long fromOffset, long toOffset, long youngFromMs) {
    ByteBuffer head = ByteBuffer.allocateDirect(STORED_HEAD_BYTES);
    return scanBatches(KeyCodec.batchKey(partitionKey, toOffset), it -> {
      long bytes = 0;
      for (it.seek(KeyCodec.batchKey(partitionKey, fromOffset)); it.isValid(); it.next()) {
        head.clear();
        int size = it.value(head);
        if (headTimestamp(head, Math.min(size, STORED_HEAD_BYTES)) >= youngFromMs) {
          break;
        }
        bytes += size;
      }
      return bytes;
    });
  }

  /** Runs {@code reader} over the stored batches, keyed below {@code upperKey}. */
  private <T> T scanBatches(byte[] upperKey, Function<RocksIterator, T> reader) {
    try (ReadOptions options = new ReadOptions();
        Slice upper = new Slice(upperKey)) {
      options.setIterateUpperBound(upper);
      try (RocksIterator it = store.db().newIterator(store.records, options)) {
        return reader.apply(it);
      }
    }
  }

  /** Positions {@code it} at the batch holding {@code offset} (it starts at or before it), or the first after. */
  private void seekToBatchHolding(RocksIterator it, long offset) {
    it.seekForPrev(KeyCodec.batchKey(partitionKey, offset));
    if (!it.isValid() || KeyCodec.partitionKeyOf(it.key()) != partitionKey) {
      it.seek(KeyCodec.batchKey(partitionKey, offset));
    }
  }

  private void readInto(
      RocksIterator it, long offset, long endOffset, int maxRecords, int maxBytes, List<ConsumedRecord> out) {
    seekToBatchHolding(it, offset);
    long bytes = 0;
    long expected = -1;
    for (; it.isValid(); it.next()) {
      long base = KeyCodec.baseOffsetOf(it.key());
      if (base >= endOffset) {
        return;
      }
      // A compacted batch ends before the next one begins, or is gone: holes, never overlaps.
      if (base < expected) {
        throw new StorageException(
            "partition key " + partitionKey + ": batch at " + base + " overlaps the one before, which ends at " + expected);
      }
      StoredBatch batch = parseBatch(it.value());
      for (int i = 0; i < batch.getRecordsCount(); i++) {
        long recordOffset = offsetOf(batch, base, i);
        expected = recordOffset + 1;
        if (recordOffset < offset) {
          continue;
        }
        if (recordOffset >= endOffset || out.size() >= maxRecords) {
          return;
        }
        Record r = batch.getRecords(i);
        long size = r.getKey().size() + r.getValue().size();
        if (!out.isEmpty() && bytes + size > maxBytes) {
          return;
        }
        bytes += size;
        out.add(
            ConsumedRecord.newBuilder()
                .setOffset(recordOffset)
                .setTimestampMs(batch.getTimestampMs())
                .setKey(r.getKey())
                .setValue(r.getValue())
                .addAllHeaders(r.getHeadersList())
                .setTombstone(r.getTombstone())
                .build());
      }
      if (out.size() >= maxRecords) {
        return; // before moving on, which would load the next batch's value
      }
    }
  }

  /** The offset of a batch's record {@code i}: its base plus its place, or its delta once compacted. */
  public static long offsetOf(StoredBatch batch, long base, int i) {
    return base + (batch.getOffsetDeltasCount() == 0 ? i : Integer.toUnsignedLong(batch.getOffsetDeltas(i)));
  }

  /** A staged batch as a StoredBatch: itself, or parsed from its encoding (a StoredBatchView's). */
  private StoredBatch asBatch(MessageLite staged) {
    if (staged instanceof StoredBatch batch) {
      return batch;
    }
    try {
      return StoredBatch.parseFrom(staged.toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("a staged batch that is no StoredBatch: " + staged.getClass().getName(), e);
    }
  }

  private StoredBatch parseBatch(byte[] value) {
    try {
      return StoredBatch.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt batch in partition key " + partitionKey, e);
    }
  }

  /**
   * Freezes the partition as it is now, for export after later writes. Call on the apply thread,
   * between apply rounds; export from any thread; close when done.
   */
  public Export freeze() {
    return new Export();
  }

  /** A frozen view of the partition that can be written out as a snapshot file. */
  public final class Export implements AutoCloseable {
    private final Snapshot snapshot = store.db().getSnapshot();

    /**
     * Writes the state, then every batch in offset order, every producer, every stream group's
     * offset and every queue group's progress and unfinished records, each length-delimited.
     */
    public void writeTo(OutputStream out) throws IOException {
      try (ReadOptions options = new ReadOptions().setSnapshot(snapshot);
          Slice upper = new Slice(KeyCodec.partitionEnd(partitionKey))) {
        byte[] state = store.db().get(store.partitionState, options, stateKey);
        if (state == null) {
          throw new StorageException("partition key " + partitionKey + " has no state to export");
        }
        PartitionState.parseFrom(state).writeDelimitedTo(out);
        options.setIterateUpperBound(upper);
        try (RocksIterator it = store.db().newIterator(store.records, options)) {
          for (it.seek(KeyCodec.partitionPrefix(partitionKey)); it.isValid(); it.next()) {
            SnapshotItem.newBuilder()
                .setBatch(
                    SnapshotBatch.newBuilder()
                        .setBaseOffset(KeyCodec.baseOffsetOf(it.key()))
                        .setBatch(parseBatch(it.value())))
                .build()
                .writeDelimitedTo(out);
          }
        }
        try (RocksIterator it = store.db().newIterator(store.producers, options)) {
          for (it.seek(KeyCodec.partitionPrefix(partitionKey)); it.isValid(); it.next()) {
            SnapshotItem.newBuilder().setProducer(ProducerState.parseFrom(it.value())).build().writeDelimitedTo(out);
          }
        }
        try (RocksIterator it = store.db().newIterator(store.groupOffsets, options)) {
          for (it.seek(KeyCodec.partitionPrefix(partitionKey)); it.isValid(); it.next()) {
            SnapshotItem.newBuilder().setGroupOffset(GroupOffset.parseFrom(it.value())).build().writeDelimitedTo(out);
          }
        }
        try (RocksIterator it = store.db().newIterator(store.queueProgress, options)) {
          for (it.seek(KeyCodec.partitionPrefix(partitionKey)); it.isValid(); it.next()) {
            SnapshotItem.newBuilder().setQueueProgress(QueueProgress.parseFrom(it.value())).build().writeDelimitedTo(out);
          }
        }
        try (RocksIterator it = store.db().newIterator(store.queueRecords, options)) {
          for (it.seek(KeyCodec.partitionPrefix(partitionKey)); it.isValid(); it.next()) {
            SnapshotItem.newBuilder()
                .setQueueRecord(
                    SnapshotQueueRecord.newBuilder()
                        .setGroup(KeyCodec.queueGroupOf(it.key()))
                        .setRecord(QueueRecord.parseFrom(it.value())))
                .build()
                .writeDelimitedTo(out);
          }
        }
      } catch (RocksDBException e) {
        throw new StorageException("cannot export partition key " + partitionKey, e);
      }
    }

    @Override
    public void close() {
      store.db().releaseSnapshot(snapshot);
      snapshot.close();
    }
  }

  /**
   * Replaces everything stored for the partition with what {@link Export#writeTo} wrote. The state
   * goes last, so an import cut short by a crash leaves no state and is simply done again.
   */
  public PartitionState importFrom(InputStream in) throws IOException {
    PartitionState state = PartitionState.parseDelimitedFrom(in);
    if (state == null) {
      throw new IOException("snapshot file is empty");
    }
    deleteAll();
    try (Writer writer = newWriter()) {
      SnapshotItem next;
      while ((next = SnapshotItem.parseDelimitedFrom(in)) != null) {
        switch (next.getItemCase()) {
          case BATCH:
            writer.putBatch(next.getBatch().getBaseOffset(), next.getBatch().getBatch());
            break;
          case PRODUCER:
            writer.putProducer(next.getProducer());
            break;
          case GROUP_OFFSET:
            writer.putGroupOffset(next.getGroupOffset());
            break;
          case QUEUE_PROGRESS:
            writer.putProgress(next.getQueueProgress());
            break;
          case QUEUE_RECORD:
            writer.putQueueRecord(next.getQueueRecord().getGroup(), next.getQueueRecord().getRecord());
            break;
          default:
            throw new IOException("snapshot holds an item this version does not know");
        }
        if (writer.stagedBytes() >= IMPORT_CHUNK_BYTES) {
          writer.commit();
        }
      }
      writer.putState(state);
      writer.commit();
    }
    return state;
  }

  /** Makes every write so far durable: see {@link DataStore#flush}. */
  public void flush() {
    store.flush();
  }

  /** Removes everything stored for the partition: its state and every partition-scoped family. */
  public void deleteAll() {
    try (WriteBatch batch = new WriteBatch()) {
      batch.delete(store.partitionState, stateKey);
      for (var family : store.partitionScoped) {
        batch.deleteRange(family, KeyCodec.partitionPrefix(partitionKey), KeyCodec.partitionEnd(partitionKey));
      }
      // Durable at once: a replica removed, then added back, must not find its old state again.
      store.db().write(store.durableWriteOptions(), batch);
    } catch (RocksDBException e) {
      throw new StorageException("cannot delete partition key " + partitionKey, e);
    }
  }
}
