package io.ordo.jraft;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.core.NodeImpl;
import com.alipay.sofa.jraft.core.ReadOnlyServiceImpl;
import java.lang.reflect.Field;
import java.util.Map;
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
 * SharedReadIndexScanTest} checks; a group that cannot be adopted keeps its own thread.
 */
public final class SharedReadIndexScan {
  private static final Logger LOG = LoggerFactory.getLogger(SharedReadIndexScan.class);
  /** jraft's period (RaftOptions.maxElectionDelayMs by default). */
  private static final long PERIOD_MS = 1_000;

  private static final Map<Node, ReadOnlyServiceImpl> ADOPTED = new ConcurrentHashMap<>();
  private static final ScheduledExecutorService SCAN =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "ordo-raft-read-index-scan");
            t.setDaemon(true);
            return t;
          });

  static {
    SCAN.scheduleAtFixedRate(SharedReadIndexScan::scan, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
  }

  private SharedReadIndexScan() {}

  /** Scans {@code node}'s waiting reads here from now on and stops its own scanner; false if it cannot. */
  public static boolean adopt(Node node) {
    try {
      ReadOnlyServiceImpl service = (ReadOnlyServiceImpl) field(NodeImpl.class, "readOnlyService").get(node);
      ScheduledExecutorService own =
          (ScheduledExecutorService) field(ReadOnlyServiceImpl.class, "scheduledExecutorService").get(service);
      ADOPTED.put(node, service);
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

  private static void scan() {
    ADOPTED.forEach(
        (node, service) -> {
          try {
            service.onApplied(node.getLastAppliedLogIndex());
          } catch (RuntimeException e) {
            LOG.warn("read-index scan of group {} failed", node.getGroupId(), e);
          }
        });
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    Field f = type.getDeclaredField(name);
    f.setAccessible(true);
    return f;
  }
}
