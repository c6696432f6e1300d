package io.ordo.it.checker;

import java.util.ArrayList;
import java.util.List;

/** What the {@link QueueChecker} found. {@link #valid()} is false on any anomaly. */
public record QueueCheckResult(
    long records,
    long receipts,
    long acks,
    long nacks,
    long rejects,
    long dead,
    boolean drained,
    List<String> phantoms,
    List<String> doubleLeases,
    List<String> doubleAcks,
    List<String> lost,
    List<String> outOfOrder,
    List<String> badExports) {

  public boolean valid() {
    return drained && phantoms.isEmpty() && doubleLeases.isEmpty() && doubleAcks.isEmpty() && lost.isEmpty()
        && outOfOrder.isEmpty() && badExports.isEmpty();
  }

  /** A short account for a person: counts, then the first anomalies of each kind. */
  public String summary() {
    StringBuilder s = new StringBuilder();
    s.append("queue: ").append(records).append(" records, ").append(receipts).append(" deliveries, ")
        .append(acks).append(" acks, ").append(nacks).append(" nacks, ").append(rejects).append(" rejects, ").append(dead).append(" dead-lettered")
        .append(drained ? "" : "; NOT DRAINED: the group stopped finishing records (or ran out of time) with some unfinished");
    CheckResult.section(s, "phantom deliveries", phantoms);
    CheckResult.section(s, "deliveries leased twice", doubleLeases);
    CheckResult.section(s, "records finished twice", doubleAcks);
    CheckResult.section(s, "records lost", lost);
    CheckResult.section(s, "key order broken", outOfOrder);
    CheckResult.section(s, "dead letters not exported exactly once", badExports);
    return s.toString();
  }

  static final class Builder {
    long records;
    long receipts;
    long acks;
    long nacks;
    long rejects;
    long dead;
    boolean drained;
    final List<String> phantoms = new ArrayList<>();
    final List<String> doubleLeases = new ArrayList<>();
    final List<String> doubleAcks = new ArrayList<>();
    final List<String> lost = new ArrayList<>();
    final List<String> outOfOrder = new ArrayList<>();
    final List<String> badExports = new ArrayList<>();

    QueueCheckResult build() {
      return new QueueCheckResult(records, receipts, acks, nacks, rejects, dead, drained, List.copyOf(phantoms),
          List.copyOf(doubleLeases), List.copyOf(doubleAcks), List.copyOf(lost), List.copyOf(outOfOrder),
          List.copyOf(badExports));
    }
  }
}
