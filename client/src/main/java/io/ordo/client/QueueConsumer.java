package io.ordo.client;

import io.ordo.proto.v1.SettleOutcome;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A consumer of a queue group: the group's consumers share a topic's records, each record leased
 * to one consumer at a time, however many consumers there are. Create the group first
 * ({@link Admin#createQueueGroup}).
 *
 * <p>Guarantees: <b>at-least-once</b> when a record is acked after it is processed. A record is
 * delivered again if its consumer nacks it (after the group's back-off, or the delay given), lets
 * its lease end, or stops without settling it; after the group's delivery limit it is
 * dead-lettered instead. Acking on receipt gives <b>at-most-once</b>. A settlement names the
 * record's delivery, so one for an earlier delivery changes nothing (STALE_DELIVERY), and acks,
 * counts and retry times survive any partition leader's failover.
 *
 * <p>Settling answers how it went: SETTLED; ALREADY_DONE (for an ack: success, e.g. a retried
 * one); LATE_ACK_ACCEPTED (an ack after the lease ended, accepted while nobody else had the
 * record); STALE_DELIVERY or NOT_YOUR_LEASE (nothing changed: the record went to another delivery,
 * or was dead-lettered at the limit).
 *
 * <p>Not thread-safe: one thread receives and settles (the futures of async settles complete on
 * the client's threads).
 */
public interface QueueConsumer extends AutoCloseable {
  /**
   * Up to {@code maxRecords} records leased to this consumer, waiting up to {@code maxWait} for
   * some. Records are leased ahead, on a stream per partition, as many as asked for plus at most
   * one per partition: those not returned wait here for the next receive, their leases running
   * (close releases them). Leasing ahead stops 5 s after the last receive, so a consumer that
   * stops receiving holds only what it already has.
   * A partition without a leader does not hold up the others' records; a receive fails only if no
   * partition could be asked for 2 s, or the group cannot be read (it does not exist, say).
   */
  List<QueuedRecord> receive(int maxRecords, Duration maxWait);

  /** Done with it. */
  SettleOutcome ack(QueuedRecord record);

  /**
   * Done with all of them: every partition's acks at once, each partition's in one Raft entry.
   * Returns an outcome per record, in order.
   */
  List<SettleOutcome> ackAll(List<QueuedRecord> records);

  /** Failed, all of them: like {@link #nack} for each, sent as {@link #ackAll} sends. */
  List<SettleOutcome> nackAll(List<QueuedRecord> records, Duration delay, String reason);

  /**
   * {@link #ackAll} without waiting: the acks go out now, and the future completes with an outcome
   * per record once they are committed (or fails as ackAll would throw). Receiving and processing
   * go on meanwhile, so a consumer is not held to a Raft round per batch. The records are done only
   * once the future says so: if this process stops first, they may be delivered again. At most
   * 20,000 settlements wait for their answers at a time; past that this waits for room, up to the
   * request timeout, and then the future fails with OVERLOADED. Close waits for the answers (up
   * to 5 s).
   */
  CompletableFuture<List<SettleOutcome>> ackAllAsync(List<QueuedRecord> records);

  /** {@link #nackAll} without waiting, as {@link #ackAllAsync} is to {@link #ackAll}. */
  CompletableFuture<List<SettleOutcome>> nackAllAsync(List<QueuedRecord> records, Duration delay, String reason);

  /** Failed: deliver it again after {@code delay} ({@link Duration#ZERO}: the group's back-off), keeping {@code reason}. */
  SettleOutcome nack(QueuedRecord record, Duration delay, String reason);

  /** Still working on it: its lease runs a full lease time from now. */
  SettleOutcome renew(QueuedRecord record);

  /** Not processed: hand it back at once; this delivery does not count. */
  SettleOutcome release(QueuedRecord record);

  /** Poisonous: dead-letter it now, keeping {@code reason}. */
  SettleOutcome reject(QueuedRecord record, String reason);

  /** This consumer's id in the group: leases are held in its name. */
  String consumerId();

  /** Releases every record received and not settled, so it is delivered again at once. */
  @Override
  void close();
}
