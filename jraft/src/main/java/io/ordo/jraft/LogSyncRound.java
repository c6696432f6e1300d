package io.ordo.jraft;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Log appends of many Raft groups made durable by one sync. A log-manager stripe drains its groups
 * one after another, and each group's append was a synced write of its own: one disk flush, and
 * about four context switches, per group, in a row. Inside a round the log store writes without
 * syncing and names its sync ({@link #deferSync}); jraft's log manager, patched
 * (src/patch/LogManagerImpl.patch), hands the round what it does once an append is durable, its
 * stable closures: a leader's vote for its own entries, a follower's answer to its leader ({@link
 * #afterSync}). When the round ends, one sync, then every deferred closure in the order given.
 *
 * <p>A round runs on one thread and ends after the drain that leaves its stripe idle or after
 * {@link #MAX_DRAINS} drains, whichever comes first, and before any other log event of a group
 * ({@link #syncNow}: a truncation, a reset, a shutdown), so every group sees its closures in the
 * order jraft runs them. Outside a round (the metadata group's own log thread) appends are synced
 * writes and closures run at once, as in jraft.
 */
public final class LogSyncRound {
  private static final Logger LOG = LoggerFactory.getLogger(LogSyncRound.class);

  /** Drains a round spans at most: under steady load a stripe is never idle, and closures must not wait for ever. */
  static final int MAX_DRAINS = 32;

  /** Makes every log write so far durable. */
  @FunctionalInterface
  public interface Sync {
    void sync() throws Exception;
  }

  /** What a log manager does once its appends are durable; {@code synced} is false if the sync failed. */
  @FunctionalInterface
  public interface AfterSync {
    void run(boolean synced);
  }

  private static final ThreadLocal<LogSyncRound> CURRENT = new ThreadLocal<>();

  private final List<AfterSync> deferred = new ArrayList<>();
  private final BooleanSupplier moreWaiting;
  private Sync pendingSync;
  private int drains;

  /** @param moreWaiting whether the stripe has drains waiting after the one running */
  LogSyncRound(BooleanSupplier moreWaiting) {
    this.moreWaiting = moreWaiting;
  }

  /**
   * Makes this the calling thread's round: for whichever thread runs the stripe, so a thread that
   * replaces one that died takes over the closures its round still holds.
   */
  void bindToCurrentThread() {
    CURRENT.set(this);
  }

  /**
   * For a log store about to append: true if it may write without syncing, the round then calling
   * {@code sync} before anything waits on the write; false (write synced) outside a round, and
   * when the round holds nothing and no other drain waits: a sync of its own is then one write, where
   * a deferred one would be two.
   */
  public static boolean deferSync(Sync sync) {
    LogSyncRound round = CURRENT.get();
    if (round == null || (round.pendingSync == null && !round.moreWaiting.getAsBoolean())) {
      return false;
    }
    if (round.pendingSync != null && round.pendingSync != sync) {
      round.end(); // another store's writes first: one sync covers one store
    }
    round.pendingSync = sync;
    return true;
  }

  /** For a log manager: runs {@code action} once its appends are durable, now if they are. */
  public static void afterSync(AfterSync action) {
    LogSyncRound round = CURRENT.get();
    if (round == null || round.pendingSync == null) {
      action.run(true);
    } else {
      round.deferred.add(action);
    }
  }

  /** For a log manager, before a log event whose closure must follow its earlier appends' closures. */
  public static void syncNow() {
    LogSyncRound round = CURRENT.get();
    if (round != null) {
      round.end();
    }
  }

  /** After a drain of the round's stripe: ends the round if the stripe is now idle or the round is long enough. */
  void drained(boolean stripeIdle) {
    if (stripeIdle || ++drains >= MAX_DRAINS) {
      end();
    }
  }

  private void end() {
    drains = 0;
    Sync sync = pendingSync;
    if (sync == null) {
      return;
    }
    pendingSync = null;
    boolean synced;
    try {
      sync.sync();
      synced = true;
    } catch (Exception e) {
      LOG.error("syncing the Raft log failed; the groups whose appends it held report an I/O error", e);
      synced = false;
    }
    List<AfterSync> actions = List.copyOf(deferred);
    deferred.clear();
    for (AfterSync action : actions) {
      try {
        action.run(synced);
      } catch (RuntimeException e) {
        LOG.error("a log manager's closures after a sync failed", e);
      }
    }
  }
}
