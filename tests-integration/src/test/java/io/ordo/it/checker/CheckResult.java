package io.ordo.it.checker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What the checker found. {@link #valid()} is false on any safety anomaly. */
public record CheckResult(
    long attempted,
    long acknowledged,
    long failed,
    long indeterminate,
    long records,
    List<String> lost,
    List<String> duplicates,
    boolean duplicatesAllowed,
    List<String> divergences,
    List<String> gaps,
    List<String> phantoms,
    List<String> resurrected,
    List<String> reorders,
    List<String> lateCommits,
    double availability,
    double availabilityDuringFaults,
    double availabilityOutsideFaults,
    long reads,
    double readAvailability,
    long worstRecoveryMillis,
    long healsWithoutRecovery,
    Map<String, Long> failureReasons,
    GroupCheckResult groups) {

  public boolean valid() {
    return lost.isEmpty()
        && (duplicatesAllowed || duplicates.isEmpty())
        && divergences.isEmpty()
        && gaps.isEmpty()
        && phantoms.isEmpty()
        && resurrected.isEmpty()
        && reorders.isEmpty()
        && lateCommits.isEmpty()
        && groups.valid();
  }

  /** A short account for a person: counts, then the first anomalies of each kind. */
  public String summary() {
    StringBuilder s = new StringBuilder();
    s.append(valid() ? "VALID" : "INVALID")
        .append(": ").append(attempted).append(" writes attempted, ").append(acknowledged).append(" ok, ")
        .append(failed).append(" failed, ").append(indeterminate).append(" unknown; ").append(records)
        .append(" records in the log; availability ").append(String.format("%.3f", availability))
        .append(" (").append(String.format("%.3f", availabilityDuringFaults)).append(" during faults, ")
        .append(String.format("%.3f", availabilityOutsideFaults)).append(" outside)")
        .append("; ").append(reads).append(" reads ok, read availability ")
        .append(String.format("%.3f", readAvailability))
        .append(", slowest recovery after a heal ").append(worstRecoveryMillis).append(" ms");
    section(s, "lost", lost);
    section(s, duplicatesAllowed ? "duplicates (allowed: not idempotent)" : "duplicates", duplicates);
    section(s, "divergences", divergences);
    section(s, "gaps", gaps);
    section(s, "phantoms", phantoms);
    section(s, "resurrected", resurrected);
    section(s, "reorders", reorders);
    section(s, "late commits", lateCommits);
    if (!failureReasons.isEmpty()) {
      s.append("\n  writes that did not succeed, by error: ").append(failureReasons);
    }
    s.append('\n').append(groups.summary());
    return s.toString();
  }

  static void section(StringBuilder s, String name, List<String> items) {
    if (!items.isEmpty()) {
      s.append("\n  ").append(name).append(" (").append(items.size()).append("): ")
          .append(items.subList(0, Math.min(10, items.size())));
    }
  }

  static final class Builder {
    long attempted;
    long acknowledged;
    long failed;
    long indeterminate;
    long records;
    final List<String> lost = new ArrayList<>();
    final List<String> duplicates = new ArrayList<>();
    boolean duplicatesAllowed;
    final List<String> divergences = new ArrayList<>();
    final List<String> gaps = new ArrayList<>();
    final List<String> phantoms = new ArrayList<>();
    final List<String> resurrected = new ArrayList<>();
    final List<String> reorders = new ArrayList<>();
    final List<String> lateCommits = new ArrayList<>();
    double availability;
    double availabilityDuringFaults;
    double availabilityOutsideFaults;
    long reads;
    double readAvailability;
    long worstRecoveryMillis;
    long healsWithoutRecovery;
    final Map<String, Long> failureReasons = new TreeMap<>();
    GroupCheckResult groups;

    CheckResult build() {
      return new CheckResult(
          attempted, acknowledged, failed, indeterminate, records, List.copyOf(lost), List.copyOf(duplicates),
          duplicatesAllowed, List.copyOf(divergences), List.copyOf(gaps), List.copyOf(phantoms),
          List.copyOf(resurrected), List.copyOf(reorders), List.copyOf(lateCommits), availability, availabilityDuringFaults, availabilityOutsideFaults, reads, readAvailability, worstRecoveryMillis, healsWithoutRecovery,
          Map.copyOf(failureReasons), groups);
    }
  }
}
