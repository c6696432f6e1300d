package io.ordo.it.checker;

import io.ordo.it.history.PartitionRead;
import io.ordo.it.history.QueueEvent;
import io.ordo.proto.v1.SettleOutcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Checks a key-ordered queue group's history against the final log and the group's final dead
 * letters:
 *
 * <ul>
 *   <li>a record received is the log's record at its offset (no phantom, no changed value);
 *   <li>no delivery of a record went to two receipts (a lease granted twice: a lost count);
 *   <li>no record was finished by two acks (SETTLED or LATE_ACK_ACCEPTED), nor finished and dead;
 *   <li>every record of the log was acked (any ack that may have taken effect) or dead-lettered;
 *   <li>per key, a record was received only after an ack of each earlier record of its key had
 *       been sent, unless that one was dead-lettered (one record of a key in progress at a time,
 *       in offset order);
 *   <li>the dead-letter topic holds exactly one record per dead letter, and none for anything else.
 * </ul>
 */
public final class QueueChecker {
  private QueueChecker() {}

  /**
   * @param finalLog the topic as read after the run, by partition
   * @param dead the group's dead letters after the run, as "partition@offset"
   * @param exported how often each source record ("partition@offset") is in the dead-letter topic
   * @param keyOf a record's key, from its value
   * @param drained whether the group reported every record finished before the check
   */
  public static QueueCheckResult check(
      List<QueueEvent> events,
      Map<Integer, List<PartitionRead>> finalLog,
      Set<String> dead,
      Map<String, Integer> exported,
      Function<String, String> keyOf,
      boolean drained) {
    QueueCheckResult.Builder out = new QueueCheckResult.Builder();
    out.drained = drained;
    out.dead = dead.size();
    Map<String, String> logValue = new HashMap<>();
    finalLog.forEach((p, reads) -> reads.forEach(r -> logValue.put(id(p, r.offset()), r.value())));
    out.records = logValue.size();

    Set<String> deliveries = new HashSet<>();
    Map<String, Integer> finishing = new TreeMap<>();
    Set<String> acked = new HashSet<>();
    Map<String, Long> firstReceived = new HashMap<>();
    Map<String, Long> firstAckSent = new HashMap<>();
    for (QueueEvent e : events) {
      String id = id(e.partition(), e.offset());
      switch (e.kind()) {
        case RECEIVED -> {
          out.receipts++;
          String inLog = logValue.get(id);
          if (!e.value().equals(inLog)) {
            out.phantoms.add(id + " received as " + e.value() + " but the log holds " + inLog);
          }
          if (!deliveries.add(id + "#" + e.deliveries())) {
            out.doubleLeases.add(id + " delivery " + e.deliveries() + " received twice");
          }
          firstReceived.merge(id, e.timeNanos(), Math::min);
        }
        case ACK -> {
          out.acks++;
          if (e.finishedIt()) {
            finishing.merge(id, 1, Integer::sum);
          }
          if (e.outcome() == null || e.finishedIt() || e.outcome() == SettleOutcome.ALREADY_DONE) {
            acked.add(id);
            firstAckSent.merge(id, e.timeNanos(), Math::min);
          }
        }
        case NACK -> out.nacks++;
        case REJECT -> out.rejects++;
      }
    }
    finishing.forEach((id, n) -> {
      if (n > 1) {
        out.doubleAcks.add(id + " finished by " + n + " acks");
      }
      if (dead.contains(id)) {
        out.doubleAcks.add(id + " finished by an ack and dead-lettered too");
      }
    });
    for (String id : logValue.keySet()) {
      if (!acked.contains(id) && !dead.contains(id)) {
        out.lost.add(id + " (" + logValue.get(id) + ") neither acked nor dead-lettered");
      }
    }
    for (String id : dead) {
      int copies = exported.getOrDefault(id, 0);
      if (copies != 1) {
        out.badExports.add(id + " dead-lettered and exported " + copies + " times");
      }
    }
    exported.keySet().stream()
        .filter(id -> !dead.contains(id))
        .forEach(id -> out.badExports.add(id + " exported but not a dead letter"));
    checkKeyOrder(finalLog, dead, keyOf, firstReceived, firstAckSent, out);
    return out.build();
  }

  /** A record received before an ack of an earlier record of its key was even sent jumped the queue. */
  private static void checkKeyOrder(
      Map<Integer, List<PartitionRead>> finalLog,
      Set<String> dead,
      Function<String, String> keyOf,
      Map<String, Long> firstReceived,
      Map<String, Long> firstAckSent,
      QueueCheckResult.Builder out) {
    finalLog.forEach((partition, reads) -> {
      // Per key, the earlier records that must be done before the next is received.
      Map<String, List<String>> earlier = new HashMap<>();
      for (PartitionRead r : reads) {
        String id = id(partition, r.offset());
        List<String> before = earlier.computeIfAbsent(keyOf.apply(r.value()), k -> new ArrayList<>());
        Long received = firstReceived.get(id);
        if (received != null) {
          for (String prior : before) {
            Long ackSent = firstAckSent.get(prior);
            if (!dead.contains(prior) && (ackSent == null || ackSent > received)) {
              out.outOfOrder.add(id + " (" + r.value() + ") received before " + prior + " of its key was acked");
              break;
            }
          }
        }
        before.add(id);
      }
    });
  }

  private static String id(int partition, long offset) {
    return partition + "@" + offset;
  }
}
