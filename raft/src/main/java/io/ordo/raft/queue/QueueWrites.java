package io.ordo.raft.queue;

import io.ordo.proto.raft.v1.QueueProgress;
import io.ordo.proto.raft.v1.QueueRecord;

/** Where a {@link QueueLedger} puts its changes, in the same atomic write as the op that made them. */
public interface QueueWrites {
  void putProgress(QueueProgress progress);

  void putQueueRecord(String group, QueueRecord record);

  void deleteQueueRecord(String group, long offset);
}
