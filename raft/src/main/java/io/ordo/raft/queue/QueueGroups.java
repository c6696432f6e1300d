package io.ordo.raft.queue;

import io.ordo.proto.raft.v1.AcquireRecords;
import io.ordo.proto.raft.v1.ConfigureQueue;
import io.ordo.proto.raft.v1.GroupStart;
import io.ordo.proto.raft.v1.MarkDeadLettersExported;
import io.ordo.proto.raft.v1.QueueProgress;
import io.ordo.proto.raft.v1.QueueRecord;
import io.ordo.proto.raft.v1.RedriveDeadLetters;
import io.ordo.proto.raft.v1.SettleRecords;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.QueueMode;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.SettleOutcome;
import io.ordo.raft.replica.OpResult;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The queue groups of one partition, each a {@link QueueLedger}, driven by the ops of the
 * partition's log: configure a group, lease records, settle them, end due leases, redrive dead
 * letters. Bad ops are refused with a reason and change nothing, the same on every replica.
 *
 * <p>Called only on the apply thread, through the partition's state machine.
 */
public final class QueueGroups {
  /** Queue groups one partition keeps. */
  public static final int MAX_GROUPS = 1_000;
  /** Records one acquire leases, at most. */
  public static final int MAX_RECORDS_PER_ACQUIRE = 1_000;
  public static final long MIN_LEASE_MS = 100;
  public static final long MAX_LEASE_MS = 15 * 60_000;
  public static final int MAX_DELIVERIES = 1_000;
  public static final int MAX_BACKOFF_STEPS = 20;
  public static final long MAX_BACKOFF_MS = 12 * 3_600_000;
  public static final int MAX_LEASED = 100_000;
  public static final int MAX_UNFINISHED = 1_000_000;
  /** Dead letters a summary offers for export, at most: one export's worth. */
  public static final int EXPORT_BATCH = 100;

  /** The records an acquire leased, in the order to hand them out. */
  public record Leased(List<QueueLedger.Delivery> deliveries) implements OpResult {}

  /** One outcome per settlement, in order. */
  public record Settlements(List<SettleOutcome> outcomes) implements OpResult {}

  /**
   * One group's progress and what it holds now.
   *
   * @param nextRetryDueMs when the earliest retry is due (log time), {@link Long#MAX_VALUE} if none
   * @param unexported dead letters not exported yet (0 when the group does not export them)
   * @param toExport the first dead letters to export, in sequence order (empty when the group
   *     does not export them)
   */
  public record Summary(
      QueueProgress progress,
      int leased,
      int waiting,
      int blocked,
      int dead,
      int unexported,
      long nextRetryDueMs,
      List<QueueRecord> toExport) {
    /** Whether an acquire at {@code now} would lease nothing new: no retry due, no record past the cursor. */
    public boolean nothingToLease(long endOffset, long now) {
      return progress.getCursor() >= endOffset && nextRetryDueMs > now;
    }
  }

  /** The group's progress after it was configured. */
  public record Configured(QueueProgress progress) implements OpResult {}

  /** The due leases and waits of every group ended. */
  public record Expired() implements OpResult {}

  /** How many dead letters became available again. */
  public record Redriven(int records) implements OpResult {}

  /** The group's dead letters numbered below its progress's exported_dead_letters are exported. */
  public record MarkedExported(QueueProgress progress) implements OpResult {}

  private final Map<String, QueueLedger> ledgers = new TreeMap<>();

  public QueueGroups(Map<String, StoredQueueGroup> initial) {
    reset(initial);
  }

  /** Replaces every group with {@code installed} (a snapshot, or the store after a restart). */
  public void reset(Map<String, StoredQueueGroup> installed) {
    ledgers.clear();
    installed.forEach((group, stored) -> ledgers.put(group, new QueueLedger(stored.progress(), stored.records())));
  }

  /** What is wrong with {@code policy}, or null if nothing is. */
  public static String policyProblem(QueuePolicy policy) {
    if (policy.getMode() == QueueMode.UNRECOGNIZED) {
      return "unknown queue mode " + policy.getModeValue();
    }
    if (policy.getLeaseMs() < MIN_LEASE_MS || policy.getLeaseMs() > MAX_LEASE_MS) {
      return "lease must be " + MIN_LEASE_MS + " ms to " + MAX_LEASE_MS + " ms, not " + policy.getLeaseMs();
    }
    if ((policy.getMaxDeliveries() < 1 && policy.getMaxDeliveries() != -1) || policy.getMaxDeliveries() > MAX_DELIVERIES) {
      return "max deliveries must be 1 to " + MAX_DELIVERIES + ", or -1 for no limit, not " + policy.getMaxDeliveries();
    }
    if (policy.getBackoffMsCount() > MAX_BACKOFF_STEPS) {
      return "a back-off has at most " + MAX_BACKOFF_STEPS + " steps, not " + policy.getBackoffMsCount();
    }
    for (long step : policy.getBackoffMsList()) {
      if (step < 0 || step > MAX_BACKOFF_MS) {
        return "each back-off step must be 0 to " + MAX_BACKOFF_MS + " ms, not " + step;
      }
    }
    if (policy.getMaxLeased() < 1 || policy.getMaxLeased() > MAX_LEASED) {
      return "max leased must be 1 to " + MAX_LEASED + ", not " + policy.getMaxLeased();
    }
    if (policy.getMaxUnfinished() < policy.getMaxLeased() || policy.getMaxUnfinished() > MAX_UNFINISHED) {
      return "max unfinished must be max leased (" + policy.getMaxLeased() + ") to " + MAX_UNFINISHED + ", not "
          + policy.getMaxUnfinished();
    }
    return null;
  }

  /** Creates the group at the log's start or end, as asked, or gives an existing one the policy. */
  public OpResult configure(ConfigureQueue op, long startOffset, long nextOffset, QueueWrites writes) {
    String problem = policyProblem(op.getPolicy());
    if (problem != null) {
      return new OpResult.Refused(ErrorCode.INVALID_REQUEST, "queue group '" + op.getGroup() + "': " + problem);
    }
    QueueLedger ledger = ledgers.get(op.getGroup());
    if (ledger == null) {
      if (ledgers.size() >= MAX_GROUPS) {
        return new OpResult.Refused(ErrorCode.LIMIT_REACHED, "the partition keeps " + MAX_GROUPS + " queue groups at most");
      }
      long start = op.getStart() == GroupStart.GROUP_START_LATEST ? nextOffset : startOffset;
      ledger = QueueLedger.start(op.getGroup(), op.getPolicy(), start, op.getDeadLetterProducerId(), writes);
      ledgers.put(op.getGroup(), ledger);
    } else {
      ledger.setPolicy(op.getPolicy(), writes);
    }
    return new Configured(ledger.progress());
  }

  public OpResult acquire(AcquireRecords op, long nextOffset, long now, RecordKeys keys, QueueWrites writes) {
    QueueLedger ledger = ledgers.get(op.getGroup());
    if (ledger == null) {
      return unknown(op.getGroup());
    }
    if (op.getMaxRecords() < 1 || op.getMaxRecords() > MAX_RECORDS_PER_ACQUIRE) {
      return new OpResult.Refused(
          ErrorCode.INVALID_REQUEST, "max records must be 1 to " + MAX_RECORDS_PER_ACQUIRE + ", not " + op.getMaxRecords());
    }
    if (op.getConsumer().isEmpty()) {
      return new OpResult.Refused(ErrorCode.INVALID_REQUEST, "a consumer must name itself to take records on lease");
    }
    return new Leased(ledger.acquire(op.getConsumer(), op.getMaxRecords(), nextOffset, now, keys, writes));
  }

  public OpResult settle(SettleRecords op, long now, QueueWrites writes) {
    QueueLedger ledger = ledgers.get(op.getGroup());
    if (ledger == null) {
      return unknown(op.getGroup());
    }
    return new Settlements(ledger.settleAll(op.getConsumer(), op.getSettlementsList(), now, writes));
  }

  /** Every group's summary, by name. */
  public Map<String, Summary> summaries() {
    Map<String, Summary> out = new TreeMap<>();
    ledgers.forEach((name, l) -> {
      boolean exports = exportsDeadLetters(l.progress());
      out.put(name, new Summary(
          l.progress(),
          l.leased(),
          l.waiting(),
          l.blocked(),
          l.dead(),
          exports ? l.unexported() : 0,
          l.nextRetryDueMs(),
          exports ? l.toExport(EXPORT_BATCH) : List.of()));
    });
    return out;
  }

  /** Whether the group exports its dead letters to a topic. */
  private static boolean exportsDeadLetters(QueueProgress progress) {
    return progress.getDeadLetterProducerId() != 0 && !progress.getPolicy().getDeadLetterTopic().isEmpty();
  }

  /**
   * The lowest offset any group has not finished (leased, waiting, blocked, dead-lettered, or
   * never delivered): the log must keep it. {@link Long#MAX_VALUE} if there is no group.
   */
  public long lowestUnfinished() {
    long lowest = Long.MAX_VALUE;
    for (QueueLedger ledger : ledgers.values()) {
      lowest = Math.min(lowest, ledger.progress().getFloor());
    }
    return lowest;
  }

  /** When the earliest lease of any group ends, in log time; {@link Long#MAX_VALUE} if none is leased. */
  public long nextLeaseEndMs() {
    long next = Long.MAX_VALUE;
    for (QueueLedger ledger : ledgers.values()) {
      next = Math.min(next, ledger.nextLeaseEndMs());
    }
    return next;
  }

  /** Ends the due leases of every group. */
  public OpResult expire(long now, QueueWrites writes) {
    ledgers.values().forEach(ledger -> ledger.expireDue(now, writes));
    return new Expired();
  }

  public OpResult redrive(RedriveDeadLetters op, long now, QueueWrites writes) {
    QueueLedger ledger = ledgers.get(op.getGroup());
    return ledger == null ? unknown(op.getGroup()) : new Redriven(ledger.redrive(now, writes));
  }

  public OpResult markExported(MarkDeadLettersExported op, QueueWrites writes) {
    QueueLedger ledger = ledgers.get(op.getGroup());
    if (ledger == null) {
      return unknown(op.getGroup());
    }
    if (op.getNextSequence() > ledger.progress().getDeadLettered()) {
      return new OpResult.Refused(
          ErrorCode.INVALID_REQUEST,
          "queue group '" + op.getGroup() + "' has dead-lettered " + ledger.progress().getDeadLettered()
              + " records here; dead letter " + op.getNextSequence() + " cannot have been exported");
    }
    ledger.markExported(op.getNextSequence(), writes);
    return new MarkedExported(ledger.progress());
  }

  private static OpResult unknown(String group) {
    return new OpResult.Refused(ErrorCode.UNKNOWN_GROUP, "queue group '" + group + "' does not exist in this partition");
  }
}
