package io.ordo.it.checker;

import io.ordo.it.history.Op;
import io.ordo.it.history.PartitionRead;
import io.ordo.it.workload.GroupReaders;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The stream-group checker. A member's ownership of a partition runs from its {@code assigned} op
 * to its {@code released} op: a <i>tenure</i>. The claim behind it happened during the poll that
 * reported it: after that poll was invoked, before the {@code assigned} op. Per partition:
 *
 * <ul>
 *   <li>backwards: a tenure's first read is below an offset whose commit was acknowledged before
 *       the claim was invoked (the committed offset went back, or the claim read a stale one). A
 *       commit acknowledged later may have been applied after the claim: a member can claim, be
 *       fenced by a later claim and commit of another, and hear its own claim's answer only then;
 *   <li>skipped: a tenure's first read is above every offset anyone had tried to commit before it
 *       began, and above the log's start (the records between the last commit and that read
 *       were skipped, not processed);
 *   <li>gap: a member handed non-contiguous offsets within one tenure, or records of a partition
 *       it did not own;
 *   <li>divergence: a member handed a value the final log does not hold at that offset;
 *   <li>final: after every member left, the committed offset is below an acknowledged commit, or
 *       above every offset anyone tried to commit (and the log's start).
 * </ul>
 *
 * A commit counts as tried unless it definitely failed; one acknowledged counts only once its
 * answer came, so both bounds hold however the threads' ops interleave.
 */
public final class GroupChecker {
  private GroupChecker() {}

  /** One commit: which partition and offset, when invoked and completed, and how. */
  private record Commit(int process, int partition, long offset, long invokedNanos, long completedNanos, Op.Type outcome) {}

  /** A member's time owning one partition, and what it was handed meanwhile. */
  private static final class Tenure {
    final int process;
    final int partition;
    /** When the poll in which the member claimed the partition was invoked. */
    final long claimedAfterNanos;
    final long startNanos;
    final List<PartitionRead> reads = new ArrayList<>();

    Tenure(int process, int partition, long claimedAfterNanos, long startNanos) {
      this.process = process;
      this.partition = partition;
      this.claimedAfterNanos = claimedAfterNanos;
      this.startNanos = startNanos;
    }
  }

  /**
   * @param finalLog per partition, offset to value, as the final readers saw it
   * @param finalCommitted per partition, the group's committed offset once every member had left
   *     (-1 when it has none)
   */
  public static GroupCheckResult check(
      List<Op> history, Map<Integer, Map<Long, String>> finalLog, Map<Integer, Long> finalCommitted) {
    GroupCheckResult.Builder result = new GroupCheckResult.Builder();
    List<Commit> commits = commits(history);
    List<Tenure> tenures = new ArrayList<>();
    Map<Integer, Map<Integer, Tenure>> open = new HashMap<>(); // process -> partition -> tenure
    Map<Integer, Long> pollInvoked = new HashMap<>();
    for (Op op : history) {
      Map<Integer, Tenure> owned = open.computeIfAbsent(op.process(), p -> new HashMap<>());
      if (GroupReaders.F_POLL.equals(op.f()) && op.type() == Op.Type.INVOKE) {
        pollInvoked.put(op.process(), op.timeNanos());
      }
      switch (op.f()) {
        case GroupReaders.F_ASSIGNED -> {
          Tenure tenure = new Tenure(
              op.process(), op.partition(), pollInvoked.getOrDefault(op.process(), op.timeNanos()), op.timeNanos());
          tenures.add(tenure);
          owned.put(op.partition(), tenure);
        }
        case GroupReaders.F_RELEASED -> owned.remove(op.partition());
        case GroupReaders.F_POLL -> {
          for (PartitionRead r : op.reads()) { // only an ok poll has reads
            Tenure tenure = owned.get(r.partition());
            if (tenure == null) {
              result.gaps.add("member " + op.process() + " was handed " + r.partition() + "/" + r.offset()
                  + " while it did not own partition " + r.partition());
            } else {
              tenure.reads.add(r);
            }
            result.delivered++;
          }
        }
        default -> {}
      }
    }
    for (Tenure tenure : tenures) {
      checkTenure(tenure, commits, finalLog.getOrDefault(tenure.partition, Map.of()), result);
    }
    for (Map.Entry<Integer, Long> e : finalCommitted.entrySet()) {
      checkFinal(e.getKey(), e.getValue(), commits, finalLog.getOrDefault(e.getKey(), Map.of()), result);
    }
    result.tenures = tenures.size();
    result.commitsAcknowledged = commits.stream().filter(c -> c.outcome() == Op.Type.OK).count();
    result.commitsAttempted = commits.size();
    result.finalCommitted = new TreeMap<>(finalCommitted);
    return result.build();
  }

  private static List<Commit> commits(List<Op> history) {
    List<Commit> commits = new ArrayList<>();
    Map<Integer, Op> invoked = new HashMap<>(); // a member commits one partition at a time
    for (Op op : history) {
      if (!GroupReaders.F_COMMIT.equals(op.f())) {
        continue;
      }
      if (op.type() == Op.Type.INVOKE) {
        invoked.put(op.process(), op);
      } else {
        Op invoke = invoked.remove(op.process());
        commits.add(new Commit(op.process(), op.partition(), op.offset(), invoke.timeNanos(), op.timeNanos(), op.type()));
      }
    }
    invoked.values().forEach(op ->
        commits.add(new Commit(op.process(), op.partition(), op.offset(), op.timeNanos(), Long.MAX_VALUE, Op.Type.INFO)));
    return commits;
  }

  private static void checkTenure(
      Tenure tenure, List<Commit> commits, Map<Long, String> log, GroupCheckResult.Builder result) {
    String who = "member " + tenure.process + " on partition " + tenure.partition;
    PartitionRead previous = null;
    for (PartitionRead r : tenure.reads) {
      if (previous != null && r.offset() != previous.offset() + 1) {
        result.gaps.add(who + " was handed offset " + r.offset() + " after " + previous.offset());
      }
      if (!r.value().equals(log.get(r.offset()))) {
        result.divergences.add(who + " was handed " + r.value() + " at offset " + r.offset() + ", the log holds "
            + log.get(r.offset()));
      }
      previous = r;
    }
    if (tenure.reads.isEmpty()) {
      return;
    }
    long first = tenure.reads.get(0).offset();
    Commit acknowledged = highest(
        commits, tenure.partition, c -> c.outcome() == Op.Type.OK && c.completedNanos() < tenure.claimedAfterNanos);
    if (acknowledged != null && first < acknowledged.offset()) {
      result.backwards.add(who + " (claimed after " + seconds(tenure.claimedAfterNanos) + ") started at offset " + first
          + ", though member " + acknowledged.process() + "'s commit of " + acknowledged.offset()
          + " was acknowledged at " + seconds(acknowledged.completedNanos()));
    }
    Commit tried = highest(commits, tenure.partition, c -> c.outcome() != Op.Type.FAIL && c.invokedNanos() < tenure.startNanos);
    long allowed = Math.max(logStart(log), tried == null ? 0 : tried.offset());
    if (first > allowed) {
      result.skipped.add(who + " (from " + seconds(tenure.startNanos) + ") started at offset " + first
          + ", but nobody had tried to commit past " + allowed + ": offsets " + allowed + ".." + (first - 1)
          + " were skipped");
    }
  }

  private static void checkFinal(
      int partition, long committed, List<Commit> commits, Map<Long, String> log, GroupCheckResult.Builder result) {
    Commit acknowledged = highest(commits, partition, c -> c.outcome() == Op.Type.OK);
    if (acknowledged != null && committed < acknowledged.offset()) {
      result.backwards.add("partition " + partition + ": the group's final committed offset is " + committed
          + ", below member " + acknowledged.process() + "'s commit of " + acknowledged.offset()
          + " acknowledged at " + seconds(acknowledged.completedNanos()));
    }
    Commit tried = highest(commits, partition, c -> c.outcome() != Op.Type.FAIL);
    long allowed = Math.max(logStart(log), tried == null ? 0 : tried.offset());
    if (committed > allowed) {
      result.skipped.add("partition " + partition + ": the group's final committed offset is " + committed
          + ", but nobody tried to commit past " + allowed);
    }
  }

  private static Commit highest(List<Commit> commits, int partition, Predicate<Commit> which) {
    Commit best = null;
    for (Commit c : commits) {
      if (c.partition() == partition && which.test(c) && (best == null || c.offset() > best.offset())) {
        best = c;
      }
    }
    return best;
  }

  private static long logStart(Map<Long, String> log) {
    return log.keySet().stream().min(Long::compare).orElse(0L);
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.3f s", nanos / 1e9);
  }
}
