package io.ordo.raft.log;

import java.util.Map;
import java.util.TreeMap;

/**
 * The terms of a group's entries written since its log was opened, as runs: the first index of
 * each term. jraft asks a log for the term before every batch a leader sends and every batch a
 * follower takes (the previous entry's, to match logs); once an entry has left jraft's memory,
 * that was a read and decode of the whole entry, records and all, for eight bytes.
 *
 * <p>A mirror of what the log holds, changed in step with it: after an append is written, before a
 * truncation of the end is (so a term asked in between is read from the log, which still has the
 * entry). Entries from before the open are not known here: their terms are read from the log.
 * Thread-safe: one thread writes, any may ask.
 */
final class TermRuns {
  /** First index of each run of one term, to the term. */
  private final TreeMap<Long, Long> runs = new TreeMap<>();
  /** Entries from here to {@link #last} are known; none are when {@code first > last}. */
  private long first = 1;
  private long last;

  /** The term of the entry at {@code index}, or 0 if not known here. */
  synchronized long term(long index) {
    if (index < first || index > last) {
      return 0;
    }
    return runs.floorEntry(index).getValue();
  }

  /** Entry {@code index} of {@code term} was written: the next after the known ones, or the first known. */
  synchronized void appended(long index, long term) {
    if (first > last || index != last + 1) {
      runs.clear();
      first = index;
    } else if (runs.lastEntry().getValue() == term) {
      last = index;
      return;
    }
    runs.put(index, term);
    last = index;
  }

  /** The entries after {@code lastKept} are about to be deleted. */
  synchronized void truncatingAfter(long lastKept) {
    if (lastKept < first) {
      forget();
      return;
    }
    last = Math.min(last, lastKept);
    runs.tailMap(lastKept, false).clear();
  }

  /** The entries before {@code firstKept} were deleted. */
  synchronized void truncatedBefore(long firstKept) {
    if (firstKept > last) {
      forget();
      return;
    }
    if (firstKept > first) {
      Map.Entry<Long, Long> run = runs.floorEntry(firstKept);
      runs.headMap(firstKept, false).clear();
      runs.put(firstKept, run.getValue());
      first = firstKept;
    }
  }

  /** Nothing known: before a reset, whose entries a later {@link #appended} makes known again. */
  synchronized void forget() {
    runs.clear();
    first = 1;
    last = 0;
  }
}
