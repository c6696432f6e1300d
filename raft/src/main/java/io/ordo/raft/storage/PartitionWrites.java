package io.ordo.raft.storage;

import com.google.protobuf.MessageLite;
import io.ordo.proto.raft.v1.GroupOffset;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.proto.raft.v1.ProducerState;
import io.ordo.proto.raft.v1.StoredBatch;
import io.ordo.raft.queue.QueueWrites;
import io.ordo.raft.queue.RecordKeys;
import java.util.NavigableMap;

/**
 * Where a partition state machine puts the effects of applying commands. The writes of one apply
 * round become visible, and survive a process crash, all together or not at all. It also reads
 * the keys of records in the log, those this round appends included, for key-ordered queues.
 */
public interface PartitionWrites extends QueueWrites, RecordKeys {
  /**
   * Stages the batch at {@code baseOffset}: {@code storedBatch} is a StoredBatch or a message that
   * encodes as one (a StoredBatchView of a command's records), stored as it encodes.
   */
  void putBatch(long baseOffset, MessageLite storedBatch);

  /** Deletes the batches whose base offsets are {@code fromOffset} up to (not including) {@code toOffset}. */
  void deleteBatches(long fromOffset, long toOffset);

  /** Deletes the batch at {@code baseOffset}. */
  void deleteBatch(long baseOffset);

  /**
   * The batches holding offsets {@code fromOffset} up to (not including) {@code toOffset}, by base
   * offset, as this round's writes so far left them (its puts and {@link #deleteBatch}es included):
   * the one that begins at or before {@code fromOffset}, and those that begin after it, before
   * {@code toOffset}. Batches below the log's start are the caller's to skip.
   */
  NavigableMap<Long, StoredBatch> batches(long fromOffset, long toOffset);

  /** The base offset of the partition's last batch, as this round's writes so far left it; -1 if it has none. */
  long lastBatchBase();

  void putState(PartitionState state);

  void putProducer(ProducerState producer);

  void deleteProducer(long producerId);

  void putGroupOffset(GroupOffset offset);

  void deleteGroupOffset(String group);
}
