package io.ordo.it.checker;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What the {@link GroupChecker} found. {@link #valid()} is false on any safety anomaly. */
public record GroupCheckResult(
    long delivered,
    long tenures,
    long commitsAttempted,
    long commitsAcknowledged,
    Map<Integer, Long> finalCommitted,
    List<String> backwards,
    List<String> skipped,
    List<String> gaps,
    List<String> divergences) {

  public boolean valid() {
    return backwards.isEmpty() && skipped.isEmpty() && gaps.isEmpty() && divergences.isEmpty();
  }

  /** A short account for a person: counts, then the first anomalies of each kind. */
  public String summary() {
    StringBuilder s = new StringBuilder();
    s.append("group: ").append(delivered).append(" records handed to members in ").append(tenures)
        .append(" partition tenures; ").append(commitsAcknowledged).append(" of ").append(commitsAttempted)
        .append(" commits acknowledged; final committed offsets ").append(finalCommitted);
    CheckResult.section(s, "committed offsets gone back", backwards);
    CheckResult.section(s, "records skipped", skipped);
    CheckResult.section(s, "group gaps", gaps);
    CheckResult.section(s, "group divergences", divergences);
    return s.toString();
  }

  static final class Builder {
    long delivered;
    long tenures;
    long commitsAttempted;
    long commitsAcknowledged;
    Map<Integer, Long> finalCommitted = new TreeMap<>();
    final List<String> backwards = new ArrayList<>();
    final List<String> skipped = new ArrayList<>();
    final List<String> gaps = new ArrayList<>();
    final List<String> divergences = new ArrayList<>();

    GroupCheckResult build() {
      return new GroupCheckResult(
          delivered, tenures, commitsAttempted, commitsAcknowledged, Collections.unmodifiableMap(new TreeMap<>(finalCommitted)),
          List.copyOf(backwards), List.copyOf(skipped), List.copyOf(gaps), List.copyOf(divergences));
    }
  }
}
