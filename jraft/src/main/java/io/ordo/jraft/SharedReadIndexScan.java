package io.ordo.jraft;

import com.alipay.sofa.jraft.FSMCaller;
import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.core.NodeImpl;
import com.alipay.sofa.jraft.core.ReadOnlyServiceImpl;
import java.lang.reflect.Field;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jraft's read-only service hands a read its answer when the group has applied up to the read's
 * index, on the apply itself, and once a second re-checks its waiting reads on a thread of its own,
 * one per group. Here one thread re-checks every adopted group's, and the groups' own threads stop.
 * jraft 1.4.1 offers no way in: this reaches its private fields, which {@code
 * JraftOnSharedThreadsTest} checks; a group that cannot be adopted keeps its own thread.
 */
public final class SharedReadIndexScan {
  private static final Logger LOG = LoggerFactory.getLogger(SharedReadIndexScan.class);
  /** jraft's period (RaftOptions.maxElectionDelayMs by default). */
  private static final long PERIOD_MS = 1_000;

  /** An adopted group's read-only service and the applier whose index it waits for. */
  private record Adopted(ReadOnlyServiceImpl service, FSMCaller fsmCaller) {}

  private static final Map<Node, Adopted> ADOPTED = new ConcurrentHashMap<>();
  private static final ScheduledExecutorService SCAN =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ordo-raft-read-index-scan"));

  static {
    SCAN.scheduleAtFixedRate(SharedReadIndexScan::scan, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
  }

  private SharedReadIndexScan() {}

  /** Scans {@code node}'s waiting reads here from now on and stops its own scanner; false if it cannot. */
  public static boolean adopt(Node node) {
    try {
      ReadOnlyServiceImpl service = (ReadOnlyServiceImpl) field(NodeImpl.class, "readOnlyService").get(node);
      FSMCaller fsmCaller = (FSMCaller) field(ReadOnlyServiceImpl.class, "fsmCaller").get(service);
      ScheduledExecutorService own =
          (ScheduledExecutorService) field(ReadOnlyServiceImpl.class, "scheduledExecutorService").get(service);
      ADOPTED.put(node, new Adopted(service, Objects.requireNonNull(fsmCaller)));
      own.shutdownNow();
      return true;
    } catch (ReflectiveOperationException | ClassCastException | NullPointerException e) {
      LOG.warn("group {} keeps jraft's own read-index scanner thread: {}", node.getGroupId(), e.toString());
      return false;
    }
  }

  /** Stops scanning {@code node}, before or after it shuts down. */
  public static void release(Node node) {
    ADOPTED.remove(node);
  }

  /**
   * As jraft's scanner: the applier's index read without the node's lock (a group in error, or
   * holding its lock long, must not stop the others' scan), and nothing a read's closure throws
   * may end the scan (an escaping throwable would cancel it for every group).
   */
  private static void scan() {
    ADOPTED.forEach(
        (node, adopted) -> {
          try {
            adopted.service().onApplied(adopted.fsmCaller().getLastAppliedIndex());
          } catch (Throwable t) {
            LOG.warn("read-index scan of group {} failed", node.getGroupId(), t);
          }
        });
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    Field f = type.getDeclaredField(name);
    f.setAccessible(true);
    return f;
  }
}
