package io.ordo.it.checker;

import io.ordo.it.history.Op;
import io.ordo.it.history.PartitionRead;
import io.ordo.it.workload.FetchingReaders;
import io.ordo.it.workload.Writers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The log checker. Safety, per partition:
 *
 * <ul>
 *   <li>lost: a write acknowledged ok whose value no final read holds, or holds at another offset
 *       than the one acknowledged;
 *   <li>duplicate: one value at two offsets (allowed only without the idempotent producer);
 *   <li>divergence: two final readers disagree on any offset, or a reader during the run (the
 *       subscriber, or a fetching reader in the history) saw a value at an offset that the final
 *       log holds differently;
 *   <li>gap: offsets of a final read not contiguous, or a reader during the run handed offsets
 *       that skip ahead or go backwards;
 *   <li>phantom: a value that was never written; resurrected: a value whose write definitely
 *       failed;
 *   <li>order: one writer's values for one key, first copies only, out of the order it wrote them
 *       (a retry's second copy of a batch comes after the first copy's later values by design);
 *   <li>late: a copy of a value after a value the same writer sent to that partition only once the
 *       first value's write had completed. With one request in flight per partition, a copy can
 *       land there only if a request was committed after its caller had its answer and moved on.
 * </ul>
 *
 * Stream groups: see {@link GroupChecker}.
 *
 * <p>Availability: the fractions of completed writes (in all, while a fault was in place, and while
 * none was) and of completed reads that succeeded, and after each heal the time to the first
 * successful write.
 */
public final class LogChecker {
  private LogChecker() {}

  public static CheckResult check(
      List<Op> history,
      Map<Integer, List<PartitionRead>> finalReadA,
      Map<Integer, List<PartitionRead>> finalReadB,
      List<PartitionRead> subscribed,
      Map<Integer, Long> finalGroupCommitted,
      boolean idempotent) {
    CheckResult.Builder result = new CheckResult.Builder();
    Map<String, Long> invoked = new HashMap<>();
    Map<String, Op> completions = new HashMap<>();
    Map<String, Op> oks = new HashMap<>();
    Map<String, String> failed = new HashMap<>();
    for (Op op : history) {
      if (!Writers.F_WRITE.equals(op.f())) {
        continue;
      }
      if (op.type() != Op.Type.INVOKE) {
        completions.put(op.value(), op);
      }
      switch (op.type()) {
        case INVOKE -> invoked.put(op.value(), op.timeNanos());
        case OK -> oks.put(op.value(), op);
        case FAIL -> {
          failed.put(op.value(), String.valueOf(op.error()));
          result.failureReasons.merge("failed: " + reason(op.error()), 1L, Long::sum);
        }
        case INFO -> {
          result.indeterminate++;
          result.failureReasons.merge("unknown: " + reason(op.error()), 1L, Long::sum);
        }
      }
    }
    result.attempted = invoked.size();
    result.acknowledged = oks.size();
    result.failed = failed.size();

    // Where each value sits in the final log (reader A), checked against reader B.
    Map<String, List<String>> locations = new HashMap<>();
    Map<Integer, Map<Long, String>> finalByOffset = new TreeMap<>();
    for (Map.Entry<Integer, List<PartitionRead>> e : finalReadA.entrySet()) {
      int partition = e.getKey();
      List<PartitionRead> a = e.getValue();
      List<PartitionRead> b = finalReadB.getOrDefault(partition, List.of());
      if (!a.equals(b)) {
        result.divergences.add(
            "partition " + partition + ": final readers disagree (" + a.size() + " vs " + b.size()
                + " records; first difference " + firstDifference(a, b) + ")");
      }
      Map<Long, String> byOffset = new HashMap<>();
      finalByOffset.put(partition, byOffset);
      long expected = a.isEmpty() ? 0 : a.get(0).offset();
      Map<String, Long> lastIndexByKey = new HashMap<>();
      Map<String, String> latestSentByWriter = new HashMap<>();
      for (PartitionRead r : a) {
        if (r.offset() != expected) {
          result.gaps.add("partition " + partition + ": offset " + r.offset() + " where " + expected + " was expected");
          expected = r.offset();
        }
        expected++;
        byOffset.put(r.offset(), r.value());
        result.records++;
        List<String> copies = locations.computeIfAbsent(r.value(), v -> new ArrayList<>());
        copies.add(partition + "/" + r.offset());
        if (!invoked.containsKey(r.value())) {
          result.phantoms.add(r.value() + " at " + partition + "/" + r.offset());
        }
        if (failed.containsKey(r.value())) {
          result.resurrected.add(
              r.value() + " at " + partition + "/" + r.offset() + " (its write failed with: " + failed.get(r.value()) + ")");
        }
        if (copies.size() == 1) {
          checkWriterOrder(r, partition, lastIndexByKey, result);
        }
        checkNotLate(r, partition, invoked, completions, latestSentByWriter, result);
      }
    }
    locations.forEach((value, where) -> {
      if (where.size() > 1) {
        result.duplicates.add(value + " at " + where);
      }
    });
    oks.forEach((value, op) -> {
      List<String> where = locations.get(value);
      String acked = op.partition() + "/" + op.offset();
      if (where == null || !where.contains(acked)) {
        result.lost.add(value + " acknowledged at " + acked + ", read at " + (where == null ? "none" : where));
      }
    });
    Map<String, List<PartitionRead>> readers = new LinkedHashMap<>();
    readers.put("the subscriber", subscribed);
    for (Op op : history) {
      if (FetchingReaders.F_READ.equals(op.f()) && op.type() == Op.Type.OK) {
        String reader = "reader " + op.process();
        if (!op.reads().isEmpty() && op.reads().get(0).offset() != op.offset()) {
          result.gaps.add(reader + " asked for " + op.partition() + "/" + op.offset() + " and was handed records from "
              + op.partition() + "/" + op.reads().get(0).offset());
        }
        readers.computeIfAbsent(reader, r -> new ArrayList<>()).addAll(op.reads());
      }
    }
    readers.forEach((reader, reads) -> checkReader(reader, reads, finalByOffset, invoked.keySet(), failed, result));
    result.duplicatesAllowed = !idempotent;
    result.groups = GroupChecker.check(history, finalByOffset, finalGroupCommitted);
    availability(history, result);
    return result.build();
  }

  /**
   * What one reader was handed during the run, in order: per partition, contiguous offsets from the
   * log's first on, each holding the value the final log holds there.
   */
  private static void checkReader(
      String reader,
      List<PartitionRead> reads,
      Map<Integer, Map<Long, String>> finalByOffset,
      Set<String> invoked,
      Map<String, String> failed,
      CheckResult.Builder result) {
    Map<Integer, Long> expectedByPartition = new HashMap<>();
    for (PartitionRead r : reads) {
      Map<Long, String> log = finalByOffset.getOrDefault(r.partition(), Map.of());
      long expected = expectedByPartition.computeIfAbsent(
          r.partition(), p -> log.keySet().stream().min(Long::compare).orElse(0L));
      if (r.offset() != expected) {
        result.gaps.add(reader + " read " + r.partition() + "/" + r.offset() + " where " + r.partition() + "/"
            + expected + " was next (" + (r.offset() < expected ? "backwards" : "skipped ahead") + ")");
      }
      expectedByPartition.put(r.partition(), r.offset() + 1);
      String stored = log.get(r.offset());
      if (r.value().equals(stored)) {
        continue; // the final log's own checks cover its values
      }
      result.divergences.add(
          reader + " saw " + r.value() + " at " + r.partition() + "/" + r.offset() + ", the log holds " + stored);
      if (!invoked.contains(r.value())) {
        result.phantoms.add(r.value() + " read by " + reader + " at " + r.partition() + "/" + r.offset());
      }
      if (failed.containsKey(r.value())) {
        result.resurrected.add(r.value() + " read by " + reader + " at " + r.partition() + "/" + r.offset()
            + " (its write failed with: " + failed.get(r.value()) + ")");
      }
    }
  }

  /** An error message cut to what distinguishes kinds of failure. */
  private static String reason(String error) {
    String e = String.valueOf(error);
    return e.length() <= 120 ? e : e.substring(0, 120);
  }

  /** Values are w<writer>-<n>; a writer's values for one key (n mod 8) must appear in n order. */
  private static void checkWriterOrder(
      PartitionRead r, int partition, Map<String, Long> lastIndexByKey, CheckResult.Builder result) {
    int dash = r.value().indexOf('-');
    if (!r.value().startsWith("w") || dash < 0) {
      return;
    }
    String writer = r.value().substring(1, dash);
    long n = Long.parseLong(r.value().substring(dash + 1));
    String key = writer + "/" + (n % 8);
    Long previous = lastIndexByKey.put(key, n);
    if (previous != null && previous > n) { // equal is a duplicate, reported as such
      result.reorders.add(
          "partition " + partition + ": w" + writer + "-" + n + " at offset " + r.offset() + " after w" + writer + "-"
              + previous);
    }
  }

  /**
   * Reports {@code r} if the log already holds, before it, a value its writer sent only after the
   * write of {@code r}'s value completed; then remembers {@code r}'s value as the writer's latest
   * sent value seen in this partition.
   */
  private static void checkNotLate(
      PartitionRead r,
      int partition,
      Map<String, Long> invoked,
      Map<String, Op> completions,
      Map<String, String> latestSentByWriter,
      CheckResult.Builder result) {
    int dash = r.value().indexOf('-');
    Long sent = invoked.get(r.value());
    if (!r.value().startsWith("w") || dash < 0 || sent == null) {
      return; // a phantom, reported as such
    }
    String writer = r.value().substring(0, dash);
    String latest = latestSentByWriter.get(writer);
    Op completion = completions.get(r.value());
    if (latest != null && completion != null && invoked.get(latest) > completion.timeNanos()) {
      result.lateCommits.add(
          r.value() + " at " + partition + "/" + r.offset() + " after " + latest + ", sent "
              + (invoked.get(latest) - completion.timeNanos()) / 1_000_000 + " ms after " + r.value() + "'s write "
              + "completed (" + completion.type().name().toLowerCase(Locale.ROOT) + ")");
    }
    if (latest == null || invoked.get(latest) < sent) {
      latestSentByWriter.put(writer, r.value());
    }
  }

  private static String firstDifference(List<PartitionRead> a, List<PartitionRead> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      if (!a.get(i).equals(b.get(i))) {
        return a.get(i) + " vs " + b.get(i);
      }
    }
    return "at index " + Math.min(a.size(), b.size());
  }

  /** Write and read availability, writes split by whether they completed while a fault was in place. */
  private static void availability(List<Op> history, CheckResult.Builder result) {
    long[] writesDuringFaults = new long[2]; // {ok, completed}
    long[] writesOutsideFaults = new long[2];
    long[] reads = new long[2];
    boolean inFault = false;
    List<Long> heals = new ArrayList<>();
    List<Long> okTimes = new ArrayList<>();
    for (Op op : history) {
      if (op.process() == Op.NEMESIS) {
        inFault = op.f().equals("fault");
        if (op.f().startsWith("heal")) {
          heals.add(op.timeNanos());
        }
      } else if (op.type() != Op.Type.INVOKE) {
        boolean ok = op.type() == Op.Type.OK;
        if (Writers.F_WRITE.equals(op.f())) {
          count(inFault ? writesDuringFaults : writesOutsideFaults, ok);
          if (ok) {
            okTimes.add(op.timeNanos());
          }
        } else if (FetchingReaders.F_READ.equals(op.f())) {
          count(reads, ok);
        }
      }
    }
    result.availability = ratio(writesDuringFaults[0] + writesOutsideFaults[0], writesDuringFaults[1] + writesOutsideFaults[1]);
    result.availabilityDuringFaults = ratio(writesDuringFaults[0], writesDuringFaults[1]);
    result.availabilityOutsideFaults = ratio(writesOutsideFaults[0], writesOutsideFaults[1]);
    result.reads = reads[0];
    result.readAvailability = ratio(reads[0], reads[1]);
    okTimes.sort(Long::compare);
    long worst = 0;
    for (long heal : heals) {
      long first = okTimes.stream().filter(t -> t >= heal).findFirst().orElse(Long.MAX_VALUE);
      if (first == Long.MAX_VALUE) {
        result.healsWithoutRecovery++;
      } else {
        worst = Math.max(worst, first - heal);
      }
    }
    result.worstRecoveryMillis = worst / 1_000_000;
  }

  private static void count(long[] okAndCompleted, boolean ok) {
    okAndCompleted[0] += ok ? 1 : 0;
    okAndCompleted[1]++;
  }

  /** The fraction that succeeded; 1 when nothing completed, as nothing failed. */
  private static double ratio(long ok, long completed) {
    return completed == 0 ? 1 : (double) ok / completed;
  }
}
