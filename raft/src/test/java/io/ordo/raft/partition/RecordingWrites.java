package io.ordo.raft.partition;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.ordo.proto.raft.v1.GroupOffset;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.proto.raft.v1.ProducerState;
import io.ordo.proto.raft.v1.QueueProgress;
import io.ordo.proto.raft.v1.QueueRecord;
import io.ordo.proto.raft.v1.StoredBatch;
import io.ordo.raft.queue.RecordKeys;
import io.ordo.raft.storage.PartitionWrites;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/** Keeps what a state machine writes in memory, as the store would after a commit. */
final class RecordingWrites implements PartitionWrites {
  final NavigableMap<Long, StoredBatch> batches = new TreeMap<>();
  final Map<Long, ProducerState> producers = new TreeMap<>();
  final Map<String, GroupOffset> groups = new TreeMap<>();
  final Map<String, QueueProgress> queueProgress = new TreeMap<>();
  final Map<String, NavigableMap<Long, QueueRecord>> queueRecords = new TreeMap<>();
  PartitionState state;
  int stateWrites;

  @Override
  public void putBatch(long baseOffset, MessageLite storedBatch) {
    try {
      batches.put(baseOffset, StoredBatch.parseFrom(storedBatch.toByteString()));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a stored batch", e);
    }
  }

  @Override
  public void deleteBatches(long fromOffset, long toOffset) {
    batches.subMap(fromOffset, toOffset).clear();
  }

  @Override
  public void deleteBatch(long baseOffset) {
    batches.remove(baseOffset);
  }

  @Override
  public NavigableMap<Long, StoredBatch> batches(long fromOffset, long toOffset) {
    Long floor = batches.floorKey(fromOffset);
    return new TreeMap<>(batches.subMap(floor == null ? fromOffset : floor, toOffset));
  }

  @Override
  public long lastBatchBase() {
    return batches.isEmpty() ? -1 : batches.lastKey();
  }

  @Override
  public long[] keyHashes(long fromOffset, int count) {
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      long offset = fromOffset + i;
      Map.Entry<Long, StoredBatch> holding = batches.floorEntry(offset);
      out[i] = RecordKeys.hash(holding.getValue().getRecords((int) (offset - holding.getKey())).getKey());
    }
    return out;
  }

  @Override
  public void putState(PartitionState state) {
    this.state = state;
    stateWrites++;
  }

  @Override
  public void putProducer(ProducerState producer) {
    producers.put(producer.getProducerId(), producer);
  }

  @Override
  public void deleteProducer(long producerId) {
    producers.remove(producerId);
  }

  @Override
  public void putGroupOffset(GroupOffset offset) {
    groups.put(offset.getGroup(), offset);
  }

  @Override
  public void deleteGroupOffset(String group) {
    groups.remove(group);
  }

  @Override
  public void putProgress(QueueProgress progress) {
    queueProgress.put(progress.getGroup(), progress);
  }

  @Override
  public void putQueueRecord(String group, QueueRecord record) {
    queueRecords.computeIfAbsent(group, g -> new TreeMap<>()).put(record.getOffset(), record);
  }

  @Override
  public void deleteQueueRecord(String group, long offset) {
    queueRecords.getOrDefault(group, new TreeMap<>()).remove(offset);
  }

  /** Every stored record's value as text, in offset order. */
  List<String> values() {
    List<String> out = new ArrayList<>();
    batches.values().forEach(b -> b.getRecordsList().forEach(r -> out.add(r.getValue().toStringUtf8())));
    return out;
  }
}
