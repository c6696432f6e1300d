package io.ordo.raft.partition;

import static io.ordo.raft.partition.Commands.append;
import static io.ordo.raft.partition.Commands.command;
import static io.ordo.raft.partition.Commands.records;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.raft.v1.AcquireRecords;
import io.ordo.proto.raft.v1.ConfigureQueue;
import io.ordo.proto.raft.v1.GroupStart;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.TrimLog;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.storage.DataStore;
import io.ordo.raft.storage.PartitionStore;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention's trims, planned from the store as a leader plans them and applied as every replica applies them. */
class TrimLogTest {
  private static final long NONE = Long.MAX_VALUE;

  @TempDir Path dir;
  private DataStore data;
  private PartitionStore store;
  private StoreApplier replica;
  private long index;

  @BeforeEach
  void open() throws IOException {
    data = DataStore.open(dir);
    store = data.partition(1);
    replica = new StoreApplier(store);
  }

  @AfterEach
  void close() {
    data.close();
  }

  /** Four batches of 3 records, appended at log times 1000, 2000, 3000 and 4000. */
  private void fourBatches() {
    for (int t = 1; t <= 4; t++) {
      apply(t * 1_000L, append(records("b" + t, 3)));
    }
  }

  private OpResult apply(long timestampMs, PartitionOp op) {
    return replica.apply(++index, command(timestampMs, op)).results().get(0);
  }

  private OpResult trim(PartitionStore.Trim trim) {
    long from = replica.machine().state().getStartOffset();
    return apply(5_000, PartitionOp.newBuilder()
        .setTrimLog(TrimLog.newBuilder().setFromOffset(from).setStartOffset(trim.startOffset()).setBytes(trim.bytes()))
        .build());
  }

  @Test
  void batchesAppendedBeforeTheCutOffGoAndTheLogStartsAfterThem() {
    fourBatches();
    long stored = replica.machine().state().getStoredBytes();

    PartitionStore.Trim plan = store.planTrim(0, NONE, 2_500, 0, 100);
    assertThat(plan.startOffset()).isEqualTo(6);
    assertThat(trim(plan)).isEqualTo(new OpResult.Trimmed(6));

    assertThat(replica.machine().state().getStartOffset()).isEqualTo(6);
    assertThat(replica.machine().state().getStoredBytes()).isEqualTo(stored - plan.bytes()).isEqualTo(stored / 2);
    assertThat(store.read(0, 12, 100, 1 << 20)).extracting(ConsumedRecord::getOffset).startsWith(6L);
    assertThat(store.planTrim(6, NONE, 2_500, 0, 100).startOffset()).isEqualTo(6);
  }

  @Test
  void theOldestBatchesGoWhileThePartitionStoresMoreThanItsBound() {
    fourBatches();
    long batchBytes = replica.machine().state().getStoredBytes() / 4;

    // One byte over three batches' worth: the oldest goes, and that is enough.
    assertThat(store.planTrim(0, NONE, Long.MIN_VALUE, 1, 100)).isEqualTo(new PartitionStore.Trim(3, batchBytes));
    assertThat(store.planTrim(0, NONE, Long.MIN_VALUE, batchBytes + 1, 100).startOffset()).isEqualTo(6);
    assertThat(store.planTrim(0, NONE, Long.MIN_VALUE, 0, 100).startOffset()).isEqualTo(0);
    // Everything may go: the log is then empty, and starts at its end.
    assertThat(trim(store.planTrim(0, NONE, NONE, 0, 100))).isEqualTo(new OpResult.Trimmed(12));
    assertThat(replica.machine().state().getStoredBytes()).isZero();
    assertThat(store.read(0, 12, 100, 1 << 20)).isEmpty();
  }

  @Test
  void aTrimTakesAtMostItsBatchesAndNeverOneHoldingAnOffsetToKeep() {
    fourBatches();

    assertThat(store.planTrim(0, NONE, NONE, 0, 2).startOffset()).isEqualTo(6);
    assertThat(store.planTrim(0, 7, NONE, 0, 100).startOffset()).isEqualTo(6);
    assertThat(store.planTrim(0, 6, NONE, 0, 100).startOffset()).isEqualTo(6);
    assertThat(store.planTrim(0, 5, NONE, 0, 100).startOffset()).isEqualTo(3);
  }

  @Test
  void aTrimProposedForAnotherStartOrPastTheEndChangesNothing() {
    fourBatches();
    PartitionStore.Trim plan = store.planTrim(0, NONE, 2_500, 0, 100);
    assertThat(trim(plan)).isInstanceOf(OpResult.Trimmed.class);
    long stored = replica.machine().state().getStoredBytes();

    // The same trim again (a leader that proposed it twice) would count its bytes twice.
    OpResult again = apply(5_000, PartitionOp.newBuilder()
        .setTrimLog(TrimLog.newBuilder().setFromOffset(0).setStartOffset(6).setBytes(plan.bytes()))
        .build());
    OpResult pastEnd = apply(5_000, PartitionOp.newBuilder()
        .setTrimLog(TrimLog.newBuilder().setFromOffset(6).setStartOffset(13))
        .build());

    assertThat(again).isInstanceOf(OpResult.Refused.class);
    assertThat(pastEnd).isInstanceOf(OpResult.Refused.class);
    assertThat(replica.machine().state().getStartOffset()).isEqualTo(6);
    assertThat(replica.machine().state().getStoredBytes()).isEqualTo(stored);
  }

  @Test
  void recordsAQueueGroupHasNotFinishedAreKept() {
    QueuePolicy policy = QueuePolicy.newBuilder().setMaxDeliveries(3).setLeaseMs(1_000).setMaxLeased(100).setMaxUnfinished(1_000).build();
    apply(500, PartitionOp.newBuilder()
        .setConfigureQueue(ConfigureQueue.newBuilder().setGroup("jobs").setPolicy(policy).setStart(GroupStart.GROUP_START_EARLIEST))
        .build());
    fourBatches();
    apply(4_500, PartitionOp.newBuilder()
        .setAcquireRecords(AcquireRecords.newBuilder().setGroup("jobs").setConsumer("c").setMaxRecords(1))
        .build());

    // Offset 0 is leased, the rest never delivered: nothing may go, whatever the leader planned.
    OpResult refused = apply(5_000, PartitionOp.newBuilder()
        .setTrimLog(TrimLog.newBuilder().setFromOffset(0).setStartOffset(3))
        .build());

    assertThat(refused).isInstanceOf(OpResult.Refused.class);
    assertThat(replica.machine().queues().lowestUnfinished()).isZero();
    assertThat(replica.machine().state().getStartOffset()).isZero();
  }

  @Test
  void aReplicaRestartedAfterATrimResumesWithTheTrimmedLog() {
    fourBatches();
    trim(store.planTrim(0, NONE, 2_500, 0, 100));
    PartitionStateMachine before = replica.machine();

    StoreApplier restarted = new StoreApplier(data.partition(1));

    assertThat(restarted.machine().state()).isEqualTo(before.state());
  }
}
