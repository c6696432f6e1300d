package io.ordo.it.history;

import io.ordo.client.QueuedRecord;
import io.ordo.proto.v1.SettleOutcome;

/**
 * What a queue worker saw: a record it received (with its delivery count), or a settlement it
 * sent and how it went (a null outcome: the call failed, and the settlement may or may not have
 * taken effect).
 *
 * @param timeNanos when a receipt's answer came, or when a settlement was invoked
 * @param endNanos when a settlement's answer (or error) came; as timeNanos for a receipt
 */
public record QueueEvent(
    int process,
    Kind kind,
    int partition,
    long offset,
    String value,
    int deliveries,
    long timeNanos,
    long endNanos,
    SettleOutcome outcome) {
  public enum Kind {
    RECEIVED,
    ACK,
    NACK,
    REJECT
  }

  public static QueueEvent received(int process, QueuedRecord r, long timeNanos) {
    return new QueueEvent(process, Kind.RECEIVED, r.record().partition(), r.record().offset(),
        r.record().valueAsString(), r.deliveries(), timeNanos, timeNanos, null);
  }

  public static QueueEvent settled(
      int process, Kind kind, QueuedRecord r, long invokedNanos, long endNanos, SettleOutcome outcome) {
    return new QueueEvent(process, kind, r.record().partition(), r.record().offset(),
        r.record().valueAsString(), r.deliveries(), invokedNanos, endNanos, outcome);
  }

  /** An ack the group took as the one that finished the record. */
  public boolean finishedIt() {
    return kind == Kind.ACK && (outcome == SettleOutcome.SETTLED || outcome == SettleOutcome.LATE_ACK_ACCEPTED);
  }
}
