package io.ordo.raft.queue;

import io.ordo.proto.raft.v1.QueueProgress;
import io.ordo.proto.raft.v1.QueueRecord;
import io.ordo.proto.raft.v1.QueueRecordState;
import io.ordo.proto.raft.v1.Settlement;
import io.ordo.proto.v1.QueueMode;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.SettleAction;
import io.ordo.proto.v1.SettleOutcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One queue group's state in one partition: which records are leased to which consumer until
 * when, which wait for a retry, which are dead-lettered. Every other record below the cursor is
 * done, so the state grows with the unfinished records, not with the offsets between them: one
 * stuck record does not stop the others from flowing.
 *
 * <ul>
 *   <li>{@link #acquire} leases records, retries whose wait is over first, then records never
 *       delivered, within the policy's caps; each delivery counts.
 *   <li>{@link #settle} names the record and its delivery count, so a settlement for an earlier
 *       delivery changes nothing. An ack after the lease ended is still accepted while nobody
 *       else has the record (the work was done). Actions and outcomes are those of the public
 *       API (ordo.v1 SettleAction, SettleOutcome).
 *   <li>A nack, or a lease that ends, makes the record available again after a back-off; at the
 *       policy's delivery limit it is dead-lettered instead, with the consumer's last reason.
 *   <li>Key-ordered groups deliver one record of a key at a time: a new record whose key has a
 *       record leased or waiting for a retry is kept BLOCKED (it counts as unfinished) until that
 *       one is acked or dead-lettered; then the earliest blocked record of the key is available.
 * </ul>
 *
 * <p>Deterministic: time is the log time each call is handed, and back-off jitter is a hash of
 * the record and its delivery count, so every replica reaches the same state at the same index.
 * Every change goes to {@link QueueWrites} in the same call, so the store (and a snapshot) always
 * holds what memory holds; the progress is written once per call, however many records it moved.
 * Each call first ends the leases that are due, at most {@link #EXPIRE_PER_CALL} of them, so one
 * apply stays bounded.
 */
public final class QueueLedger {
  /** Leases ended per call, at most: the rest end in the next call. */
  public static final int EXPIRE_PER_CALL = 4_096;
  /** New records a key-ordered acquire looks at, at most, leased or blocked: it bounds one apply. */
  public static final int KEYS_PER_ACQUIRE = 4_096;
  /** Bytes of a consumer's reason kept with a record. */
  public static final int MAX_REASON_BYTES = 256;
  public static final String DEAD_MAX_DELIVERIES = "MAX_DELIVERIES";
  public static final String DEAD_REJECTED = "REJECTED";

  /** A record leased to a consumer: it settles it by offset and delivery count. */
  public record Delivery(long offset, int deliveries, long leaseEndsMs) {}

  private record Due(long dueMs, long offset) implements Comparable<Due> {
    @Override
    public int compareTo(Due o) {
      int c = Long.compare(dueMs, o.dueMs);
      return c != 0 ? c : Long.compare(offset, o.offset);
    }
  }

  private final QueueProgress.Builder progress;
  /** Whether {@link #progress} changed since it was last written. */
  private boolean progressChanged;
  private final NavigableMap<Long, QueueRecord> unfinished = new TreeMap<>();
  private final TreeSet<Due> leases = new TreeSet<>();
  private final TreeSet<Due> waits = new TreeSet<>();
  /** Key-ordered: per key hash, the offset of its record leased or waiting for a retry. */
  private final Map<Long, Long> activeByKey = new HashMap<>();
  /** Key-ordered: per key hash, its blocked records. */
  private final Map<Long, TreeSet<Long>> blockedByKey = new HashMap<>();
  private int blocked;
  /** Dead letters not yet exported: offset by dead-letter sequence. */
  private final NavigableMap<Long, Long> unexported = new TreeMap<>();

  /** The group as stored: its progress and its unfinished records. */
  public QueueLedger(QueueProgress progress, List<QueueRecord> records) {
    this.progress = progress.toBuilder();
    records.forEach(this::index);
  }

  /**
   * A group new to the partition, starting at {@code startOffset}, its dead letters exported
   * under {@code deadLetterProducerId} (0: not exported).
   */
  public static QueueLedger start(
      String group, QueuePolicy policy, long startOffset, long deadLetterProducerId, QueueWrites writes) {
    QueueProgress progress =
        QueueProgress.newBuilder()
            .setGroup(group)
            .setFloor(startOffset)
            .setCursor(startOffset)
            .setPolicy(policy)
            .setDeadLetterProducerId(deadLetterProducerId)
            .build();
    writes.putProgress(progress);
    return new QueueLedger(progress, List.of());
  }

  public QueueProgress progress() {
    return progress.build();
  }

  /** From now on the group follows {@code policy}; leases already granted keep their end. */
  public void setPolicy(QueuePolicy policy, QueueWrites writes) {
    progress.setPolicy(policy);
    writes.putProgress(progress.build());
  }

  /** Every unfinished record, in offset order. */
  public List<QueueRecord> unfinished() {
    return List.copyOf(unfinished.values());
  }

  /** Records leased now. */
  public int leased() {
    return leases.size();
  }

  /** When the earliest lease ends, in log time; {@link Long#MAX_VALUE} if none is leased. */
  public long nextLeaseEndMs() {
    return leases.isEmpty() ? Long.MAX_VALUE : leases.first().dueMs();
  }

  /** When the earliest retry is due, in log time; {@link Long#MAX_VALUE} if none waits. */
  public long nextRetryDueMs() {
    return waits.isEmpty() ? Long.MAX_VALUE : waits.first().dueMs();
  }

  /** Records waiting for a retry. */
  public int waiting() {
    return waits.size();
  }

  /** Key-ordered: records waiting behind an earlier record of their key. */
  public int blocked() {
    return blocked;
  }

  /** Records dead-lettered and not redriven. */
  public int dead() {
    return unfinished.size() - leases.size() - waits.size() - blocked;
  }

  /** Dead letters not yet exported, in dead-letter sequence order, at most {@code max}. */
  public List<QueueRecord> toExport(int max) {
    List<QueueRecord> out = new ArrayList<>(Math.min(max, unexported.size()));
    for (long offset : unexported.values()) {
      if (out.size() == max) {
        break;
      }
      out.add(unfinished.get(offset));
    }
    return out;
  }

  /** Dead letters not yet exported. */
  public int unexported() {
    return unexported.size();
  }

  /**
   * The dead letters numbered below {@code nextSequence} are exported; a mark below an earlier one
   * changes nothing (a deposed leader's late mark).
   */
  public void markExported(long nextSequence, QueueWrites writes) {
    if (nextSequence <= progress.getExportedDeadLetters()) {
      return;
    }
    progress.setExportedDeadLetters(nextSequence);
    writes.putProgress(progress.build());
    unexported.headMap(nextSequence).clear();
  }

  private boolean keyOrdered() {
    return progress.getPolicy().getMode() == QueueMode.QUEUE_MODE_KEY_ORDERED;
  }

  /**
   * Leases up to {@code maxRecords} records to {@code consumer} for the policy's lease time:
   * available retries first (earliest due first), then records never delivered, below {@code
   * nextOffset} (the log's end). A key-ordered group reads their keys from {@code keys}.
   */
  public List<Delivery> acquire(
      String consumer, int maxRecords, long nextOffset, long now, RecordKeys keys, QueueWrites writes) {
    endDueLeases(now, writes);
    QueuePolicy policy = progress.getPolicy();
    List<Delivery> out = new ArrayList<>();
    List<Due> ready = new ArrayList<>();
    for (Due wait : waits) {
      if (wait.dueMs() > now || ready.size() >= maxRecords || leases.size() + ready.size() >= policy.getMaxLeased()) {
        break;
      }
      ready.add(wait);
    }
    for (Due wait : ready) {
      out.add(lease(unfinished.get(wait.offset()), consumer, now, writes));
    }
    long cursor = progress.getCursor();
    // Key-ordered: keys are read in chunks, as far as the loop gets, at most KEYS_PER_ACQUIRE.
    long[] hashes = new long[0];
    int looked = 0;
    int chunk = Math.max(maxRecords, 64);
    while (out.size() < maxRecords
        && cursor < nextOffset
        && leases.size() < policy.getMaxLeased()
        && unfinished.size() < policy.getMaxUnfinished()) {
      long key = RecordKeys.NO_KEY;
      if (keyOrdered()) {
        if (looked == KEYS_PER_ACQUIRE) {
          break;
        }
        if (looked % chunk == 0) {
          hashes = keys.keyHashes(cursor, (int) Math.min(Math.min(chunk, KEYS_PER_ACQUIRE - looked), nextOffset - cursor));
        }
        key = hashes[looked++ % chunk];
      }
      QueueRecord fresh = QueueRecord.newBuilder().setOffset(cursor).setKeyHash(key).build();
      if (key != RecordKeys.NO_KEY && activeByKey.containsKey(key)) {
        put(fresh.toBuilder().setState(QueueRecordState.QUEUE_RECORD_BLOCKED).build(), writes);
      } else {
        out.add(lease(fresh, consumer, now, writes));
      }
      cursor++;
    }
    moveTo(cursor);
    flushProgress(writes);
    return out;
  }

  private Delivery lease(QueueRecord record, String consumer, long now, QueueWrites writes) {
    QueueRecord leased =
        record.toBuilder()
            .setState(QueueRecordState.QUEUE_RECORD_LEASED)
            .setDeliveries(record.getDeliveries() + 1)
            .setDueMs(now + progress.getPolicy().getLeaseMs())
            .setConsumer(consumer)
            .build();
    put(leased, writes);
    if (leased.getDeliveries() > 1) {
      progress.setRedelivered(progress.getRedelivered() + 1);
      progressChanged = true;
    }
    return new Delivery(leased.getOffset(), leased.getDeliveries(), leased.getDueMs());
  }

  /**
   * Settles the {@code deliveries}-th delivery of the record at {@code offset}. {@code delayMs}
   * (NACK only, 0 for the policy's back-off) and {@code reason} (NACK and REJECT) are optional.
   */
  public SettleOutcome settle(
      String consumer, long offset, int deliveries, SettleAction action, long delayMs, String reason, long now, QueueWrites writes) {
    SettleOutcome outcome = settleOne(consumer, offset, deliveries, action, delayMs, reason, now, writes);
    flushProgress(writes);
    return outcome;
  }

  /** Settles each of {@code settlements} as {@link #settle} does; one outcome each, in order. */
  public List<SettleOutcome> settleAll(String consumer, List<Settlement> settlements, long now, QueueWrites writes) {
    List<SettleOutcome> outcomes = new ArrayList<>(settlements.size());
    for (Settlement s : settlements) {
      outcomes.add(s.getDelayMs() < 0 || s.getDelayMs() > QueueGroups.MAX_BACKOFF_MS
          ? SettleOutcome.INVALID_SETTLEMENT
          : settleOne(consumer, s.getOffset(), s.getDeliveries(), s.getAction(), s.getDelayMs(), s.getReason(), now, writes));
    }
    flushProgress(writes);
    return outcomes;
  }

  private SettleOutcome settleOne(
      String consumer, long offset, int deliveries, SettleAction action, long delayMs, String reason, long now, QueueWrites writes) {
    endDueLeases(now, writes);
    QueueRecord record = unfinished.get(offset);
    if (record == null) {
      return offset < progress.getCursor() ? SettleOutcome.ALREADY_DONE : SettleOutcome.NOT_DELIVERED;
    }
    if (deliveries < 1 || record.getState() == QueueRecordState.QUEUE_RECORD_BLOCKED) {
      return SettleOutcome.NOT_DELIVERED;
    }
    if (record.getDeliveries() != deliveries) {
      return SettleOutcome.STALE_DELIVERY;
    }
    if (record.getState() == QueueRecordState.QUEUE_RECORD_DEAD) {
      // Dead-lettered at the limit: its copy may be on its way to the dead-letter topic already,
      // so a late ack would make the record done and a dead letter both. It comes too late.
      return SettleOutcome.STALE_DELIVERY;
    }
    if (record.getState() != QueueRecordState.QUEUE_RECORD_LEASED) {
      // The lease ended and nobody has the record since: an ack says the work was done after
      // all, anything else comes too late.
      if (action != SettleAction.SETTLE_ACK) {
        return SettleOutcome.STALE_DELIVERY;
      }
      done(record, now, writes);
      return SettleOutcome.LATE_ACK_ACCEPTED;
    }
    if (!record.getConsumer().equals(consumer)) {
      return SettleOutcome.NOT_YOUR_LEASE;
    }
    QueuePolicy policy = progress.getPolicy();
    switch (action) {
      case SETTLE_ACK -> done(record, now, writes);
      case SETTLE_NACK -> {
        QueueRecord failed = record.toBuilder().setLastError(truncate(reason)).build();
        if (atLimit(failed)) {
          deadLetter(failed, DEAD_MAX_DELIVERIES, now, writes);
        } else {
          long wait = delayMs > 0 ? delayMs : backoffMs(policy, offset, deliveries);
          put(available(failed, now + wait), writes);
        }
      }
      case SETTLE_RENEW -> put(record.toBuilder().setDueMs(now + policy.getLeaseMs()).build(), writes);
      case SETTLE_RELEASE -> put(available(record.toBuilder().setDeliveries(deliveries - 1).build(), now), writes);
      case SETTLE_REJECT -> deadLetter(record.toBuilder().setLastError(truncate(reason)).build(), DEAD_REJECTED, now, writes);
      case UNRECOGNIZED -> {
        return SettleOutcome.INVALID_SETTLEMENT;
      }
    }
    return SettleOutcome.SETTLED;
  }

  /** Ends the leases due by {@code now}, at most {@link #EXPIRE_PER_CALL}. */
  public void expireDue(long now, QueueWrites writes) {
    endDueLeases(now, writes);
    flushProgress(writes);
  }

  private void endDueLeases(long now, QueueWrites writes) {
    int budget = EXPIRE_PER_CALL;
    while (budget > 0 && !leases.isEmpty() && leases.first().dueMs() <= now) {
      QueueRecord record = unfinished.get(leases.first().offset());
      if (atLimit(record)) {
        deadLetter(record, DEAD_MAX_DELIVERIES, now, writes);
      } else {
        put(available(record, now), writes);
      }
      budget--;
    }
  }

  /**
   * Every dead-lettered record becomes available again, its delivery count reset (in a
   * key-ordered group, blocked if its key has a record in progress); returns how many.
   */
  public int redrive(long now, QueueWrites writes) {
    endDueLeases(now, writes);
    List<QueueRecord> dead = new ArrayList<>();
    for (QueueRecord record : unfinished.values()) {
      if (record.getState() == QueueRecordState.QUEUE_RECORD_DEAD) {
        dead.add(record);
      }
    }
    for (QueueRecord record : dead) {
      QueueRecord fresh =
          record.toBuilder().setDeliveries(0).clearDeadReason().clearDeadAtMs().clearDeadLetterSequence().build();
      if (record.getKeyHash() != RecordKeys.NO_KEY && activeByKey.containsKey(record.getKeyHash())) {
        put(fresh.toBuilder().setState(QueueRecordState.QUEUE_RECORD_BLOCKED).clearDueMs().build(), writes);
      } else {
        put(available(fresh, now), writes);
      }
    }
    flushProgress(writes);
    return dead.size();
  }

  /**
   * The wait before the {@code deliveries}-th delivery's retry: the policy's back-off for it (the
   * last value repeating), moved by up to 10% either way by a hash of the record and the count.
   */
  static long backoffMs(QueuePolicy policy, long offset, int deliveries) {
    if (policy.getBackoffMsCount() == 0) {
      return 0;
    }
    long base = policy.getBackoffMs(Math.min(deliveries, policy.getBackoffMsCount()) - 1);
    long h = mix(offset * 0x9E3779B97F4A7C15L + deliveries);
    long permille = Math.floorMod(h, 201) - 100; // -100..100, tenths of a percent
    return Math.max(0, base + base * permille / 1_000);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private boolean atLimit(QueueRecord record) {
    int max = progress.getPolicy().getMaxDeliveries();
    return max > 0 && record.getDeliveries() >= max;
  }

  private static QueueRecord available(QueueRecord record, long dueMs) {
    return record.toBuilder().setState(QueueRecordState.QUEUE_RECORD_AVAILABLE).setDueMs(dueMs).build();
  }

  private void deadLetter(QueueRecord record, String reason, long now, QueueWrites writes) {
    put(record.toBuilder()
        .setState(QueueRecordState.QUEUE_RECORD_DEAD)
        .clearDueMs()
        .setDeadReason(reason)
        .setDeadAtMs(now)
        .setDeadLetterSequence(progress.getDeadLettered())
        .build(), writes);
    progress.setDeadLettered(progress.getDeadLettered() + 1);
    progressChanged = true;
    unblockNext(record.getKeyHash(), now, writes);
  }

  /** The key's record in progress is finished: its earliest blocked record becomes available. */
  private void unblockNext(long key, long now, QueueWrites writes) {
    TreeSet<Long> waiting = blockedByKey.get(key);
    if (key != RecordKeys.NO_KEY && waiting != null && !activeByKey.containsKey(key)) {
      put(available(unfinished.get(waiting.first()), now), writes);
    }
  }

  private static String truncate(String reason) {
    byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_REASON_BYTES) {
      return reason;
    }
    int end = MAX_REASON_BYTES;
    while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
      end--; // not inside a character
    }
    return new String(bytes, 0, end, StandardCharsets.UTF_8);
  }

  /** Replaces the record's entry, in memory and in the store. */
  private void put(QueueRecord record, QueueWrites writes) {
    unindex(record.getOffset());
    index(record);
    writes.putQueueRecord(progress.getGroup(), record);
  }

  private void done(QueueRecord record, long now, QueueWrites writes) {
    unindex(record.getOffset());
    writes.deleteQueueRecord(progress.getGroup(), record.getOffset());
    progress.setAcked(progress.getAcked() + 1);
    progressChanged = true;
    unblockNext(record.getKeyHash(), now, writes);
    moveTo(progress.getCursor());
  }

  /** Sets the cursor, and the floor to the first unfinished record (or the cursor), if they moved. */
  private void moveTo(long cursor) {
    long floor = unfinished.isEmpty() ? cursor : unfinished.firstKey();
    if (floor != progress.getFloor() || cursor != progress.getCursor()) {
      progress.setFloor(floor).setCursor(cursor);
      progressChanged = true;
    }
  }

  /** Writes the progress if a change of this call moved it. */
  private void flushProgress(QueueWrites writes) {
    if (progressChanged) {
      writes.putProgress(progress.build());
      progressChanged = false;
    }
  }

  private void index(QueueRecord record) {
    unfinished.put(record.getOffset(), record);
    long key = record.getKeyHash();
    switch (record.getState()) {
      case QUEUE_RECORD_LEASED -> leases.add(new Due(record.getDueMs(), record.getOffset()));
      case QUEUE_RECORD_AVAILABLE -> waits.add(new Due(record.getDueMs(), record.getOffset()));
      case QUEUE_RECORD_BLOCKED -> {
        blockedByKey.computeIfAbsent(key, k -> new TreeSet<>()).add(record.getOffset());
        blocked++;
        return;
      }
      case QUEUE_RECORD_DEAD -> {
        if (record.getDeadLetterSequence() >= progress.getExportedDeadLetters()) {
          unexported.put(record.getDeadLetterSequence(), record.getOffset());
        }
        return;
      }
      default -> {
        return;
      }
    }
    if (key != RecordKeys.NO_KEY) {
      activeByKey.put(key, record.getOffset());
    }
  }

  private void unindex(long offset) {
    QueueRecord old = unfinished.remove(offset);
    if (old == null) {
      return;
    }
    leases.remove(new Due(old.getDueMs(), offset));
    waits.remove(new Due(old.getDueMs(), offset));
    if (old.getState() == QueueRecordState.QUEUE_RECORD_DEAD) {
      unexported.remove(old.getDeadLetterSequence(), offset);
    }
    long key = old.getKeyHash();
    activeByKey.remove(key, offset);
    TreeSet<Long> waiting = blockedByKey.get(key);
    if (waiting != null && waiting.remove(offset)) {
      blocked--;
      if (waiting.isEmpty()) {
        blockedByKey.remove(key);
      }
    }
  }
}
