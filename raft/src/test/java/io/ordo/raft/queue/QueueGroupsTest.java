package io.ordo.raft.queue;

import static io.ordo.raft.partition.Commands.append;
import static io.ordo.raft.partition.Commands.command;
import static io.ordo.raft.partition.Commands.records;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.raft.v1.AcquireRecords;
import io.ordo.proto.raft.v1.ConfigureQueue;
import io.ordo.proto.raft.v1.ExpireLeases;
import io.ordo.proto.raft.v1.GroupStart;
import io.ordo.proto.raft.v1.MarkDeadLettersExported;
import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.QueueRecordState;
import io.ordo.proto.raft.v1.RedriveDeadLetters;
import io.ordo.proto.raft.v1.SettleRecords;
import io.ordo.proto.raft.v1.Settlement;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.SettleAction;
import io.ordo.proto.v1.SettleOutcome;
import io.ordo.raft.partition.StoreApplier;
import io.ordo.raft.partition.TwoReplicas;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.storage.DataStore;
import io.ordo.raft.storage.PartitionStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Queue groups applied through the partition's real apply path: ops and their results, refusals
 * that change nothing, leases ended by the log's time, and replicas that agree whatever their
 * round splits and snapshots.
 */
class QueueGroupsTest {
  private static final QueuePolicy POLICY =
      QueuePolicy.newBuilder().setMaxDeliveries(2).setLeaseMs(500).addBackoffMs(200).setMaxLeased(100).setMaxUnfinished(1_000).build();

  @TempDir Path dir;
  private DataStore data;
  private StoreApplier replica;
  private long index;

  @BeforeEach
  void open() throws IOException {
    data = DataStore.open(dir.resolve("a"));
    replica = new StoreApplier(data.partition(1));
    apply(0, append(records("r", 10)));
  }

  @AfterEach
  void close() {
    data.close();
  }

  private OpResult apply(long timestampMs, PartitionOp op) {
    return replica.apply(++index, command(timestampMs, op)).results().get(0);
  }

  static PartitionOp configure(String group, QueuePolicy policy, GroupStart start) {
    return PartitionOp.newBuilder()
        .setConfigureQueue(ConfigureQueue.newBuilder().setGroup(group).setPolicy(policy).setStart(start))
        .build();
  }

  static PartitionOp acquire(String group, String consumer, int max) {
    return PartitionOp.newBuilder()
        .setAcquireRecords(AcquireRecords.newBuilder().setGroup(group).setConsumer(consumer).setMaxRecords(max))
        .build();
  }

  static PartitionOp settle(String group, String consumer, Settlement... settlements) {
    return PartitionOp.newBuilder()
        .setSettleRecords(SettleRecords.newBuilder().setGroup(group).setConsumer(consumer).addAllSettlements(List.of(settlements)))
        .build();
  }

  static Settlement settlement(long offset, int deliveries, SettleAction action) {
    return Settlement.newBuilder().setOffset(offset).setDeliveries(deliveries).setAction(action).build();
  }

  private static final PartitionOp EXPIRE = PartitionOp.newBuilder().setExpireLeases(ExpireLeases.getDefaultInstance()).build();

  private static List<Long> leased(OpResult result) {
    assertThat(result).isInstanceOf(QueueGroups.Leased.class);
    return ((QueueGroups.Leased) result).deliveries().stream().map(QueueLedger.Delivery::offset).toList();
  }

  private static ErrorCode refusal(OpResult result) {
    assertThat(result).isInstanceOf(OpResult.Refused.class);
    return ((OpResult.Refused) result).code();
  }

  @Test
  void aGroupLeasesTheLogsRecordsAndSettlesThem() {
    assertThat(apply(1, configure("q", POLICY, GroupStart.GROUP_START_EARLIEST))).isInstanceOf(QueueGroups.Configured.class);
    assertThat(leased(apply(2, acquire("q", "a", 4)))).containsExactly(0L, 1L, 2L, 3L);
    assertThat(leased(apply(2, acquire("q", "b", 100)))).containsExactly(4L, 5L, 6L, 7L, 8L, 9L);

    OpResult settled = apply(3, settle("q", "a",
        settlement(0, 1, SettleAction.SETTLE_ACK),
        settlement(1, 1, SettleAction.SETTLE_NACK),
        settlement(2, 2, SettleAction.SETTLE_ACK),
        settlement(4, 1, SettleAction.SETTLE_ACK),
        Settlement.newBuilder().setOffset(3).setDeliveries(1).setActionValue(42).build()));
    assertThat(((QueueGroups.Settlements) settled).outcomes()).containsExactly(
        SettleOutcome.SETTLED, SettleOutcome.SETTLED, SettleOutcome.STALE_DELIVERY,
        SettleOutcome.NOT_YOUR_LEASE, SettleOutcome.INVALID_SETTLEMENT);
    assertThat(leased(apply(300, acquire("q", "b", 1)))).as("the nacked record, after its back-off").containsExactly(1L);

    assertThat(apply(4, configure("late", POLICY, GroupStart.GROUP_START_LATEST))).isInstanceOf(QueueGroups.Configured.class);
    assertThat(leased(apply(4, acquire("late", "a", 10)))).as("a group that starts at the end").isEmpty();
  }

  @Test
  void badOpsAreRefusedAndChangeNothing() {
    assertThat(refusal(apply(1, acquire("nope", "a", 1)))).isEqualTo(ErrorCode.UNKNOWN_GROUP);
    assertThat(refusal(apply(1, settle("nope", "a", settlement(0, 1, SettleAction.SETTLE_ACK))))).isEqualTo(ErrorCode.UNKNOWN_GROUP);
    assertThat(refusal(apply(1, configure("q", POLICY.toBuilder().setLeaseMs(1).build(), GroupStart.GROUP_START_EARLIEST))))
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(refusal(apply(1, configure("q", POLICY.toBuilder().setMaxUnfinished(1).build(), GroupStart.GROUP_START_EARLIEST))))
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(data.partition(1).readQueueGroups()).isEmpty();

    apply(1, configure("q", POLICY, GroupStart.GROUP_START_EARLIEST));
    assertThat(refusal(apply(1, acquire("q", "a", 0)))).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(refusal(apply(1, acquire("q", "", 1)))).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(data.partition(1).readQueueGroups().get("q").records()).isEmpty();
  }

  @Test
  void leasesEndByTheLogsTimeAndAtTheLimitRecordsAreDeadLetteredThenRedriven() {
    apply(1_000, configure("q", POLICY, GroupStart.GROUP_START_EARLIEST));
    apply(1_000, acquire("q", "a", 1));
    apply(1_499, EXPIRE);
    assertThat(data.partition(1).readQueueGroups().get("q").records())
        .singleElement().extracting(r -> r.getState()).isEqualTo(QueueRecordState.QUEUE_RECORD_LEASED);
    apply(1_500, EXPIRE);
    assertThat(data.partition(1).readQueueGroups().get("q").records())
        .singleElement().extracting(r -> r.getState()).isEqualTo(QueueRecordState.QUEUE_RECORD_AVAILABLE);

    assertThat(leased(apply(1_500, acquire("q", "b", 1)))).containsExactly(0L);
    apply(2_000, EXPIRE);
    assertThat(data.partition(1).readQueueGroups().get("q").records()).singleElement().satisfies(r -> {
      assertThat(r.getState()).isEqualTo(QueueRecordState.QUEUE_RECORD_DEAD);
      assertThat(r.getDeadReason()).isEqualTo(QueueLedger.DEAD_MAX_DELIVERIES);
    });
    OpResult redriven = apply(2_001, PartitionOp.newBuilder().setRedriveDeadLetters(RedriveDeadLetters.newBuilder().setGroup("q")).build());
    assertThat(redriven).isEqualTo(new QueueGroups.Redriven(1));
    assertThat(leased(apply(2_001, acquire("q", "b", 5)))).startsWith(0L);
  }

  @Test
  void replicasAgreeWhateverTheirRoundSplitsAndSnapshots() throws IOException {
    List<PartitionCommand> log = new ArrayList<>();
    log.add(command(1, append(records("r", 10)), configure("q", POLICY, GroupStart.GROUP_START_EARLIEST)));
    log.add(command(2, acquire("q", "a", 3), acquire("q", "b", 3)));
    log.add(command(3, settle("q", "a", settlement(0, 1, SettleAction.SETTLE_ACK), settlement(1, 1, SettleAction.SETTLE_NACK)),
        append(records("s", 2))));
    log.add(command(600, EXPIRE, acquire("q", "c", 10)));
    log.add(command(601, settle("q", "c", settlement(3, 2, SettleAction.SETTLE_REJECT)), configure("r", POLICY, GroupStart.GROUP_START_LATEST)));
    log.add(command(602, PartitionOp.newBuilder()
        .setMarkDeadLettersExported(MarkDeadLettersExported.newBuilder().setGroup("q").setNextSequence(1))
        .build()));

    try (DataStore b = DataStore.open(dir.resolve("b")); DataStore c = DataStore.open(dir.resolve("c"))) {
      TwoReplicas replicas = TwoReplicas.apply(log, b, c);
      PartitionStore oneRound = replicas.oneRound();
      PartitionStore installed = replicas.splitWithSnapshot();

      var expected = oneRound.readQueueGroups();
      assertThat(expected).containsOnlyKeys("q", "r");
      assertThat(expected.get("q").records()).extracting(r -> r.getOffset()).as("0 acked, 3 dead, the rest leased to c")
          .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
      assertThat(expected.get("r").progress().getCursor()).isEqualTo(12);
      assertThat(expected.get("q").progress().getExportedDeadLetters()).isEqualTo(1);
      assertThat(installed.readQueueGroups()).isEqualTo(expected);
      assertThat(installed.readState()).isEqualTo(oneRound.readState());
    }
  }
}
