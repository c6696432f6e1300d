package io.ordo.node.membership;

import io.ordo.node.config.HostPort;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.proto.v1.JoinClusterRequest;
import io.ordo.proto.v1.NodeServiceGrpc;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a node started with --join: asks the cluster, through the nodes it was given, in turn, to
 * take it in (NodeService/JoinCluster), until its own copy of the metadata shows it registered,
 * which it can only have once it is a learner of the metadata group. A restarted node that joined
 * before finds itself there at once and asks nothing.
 */
public final class ClusterJoiner {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterJoiner.class);
  private static final long JOIN_DEADLINE_MS = 10_000;
  /** Failures are logged on the first try and then once every this many, not every second. */
  private static final int LOG_EVERY_FAILURES = 30;

  private final Router router;
  private final PeerChannels peers;
  private final List<HostPort> join;
  private final JoinClusterRequest request;
  private final AtomicBoolean asking = new AtomicBoolean();
  private volatile boolean joined;
  private int attempts;

  public ClusterJoiner(Router router, PeerChannels peers, List<HostPort> join, JoinClusterRequest request) {
    this.router = router;
    this.peers = peers;
    this.join = List.copyOf(join);
    this.request = request;
  }

  /** Asks once more unless joined or a request is under way; returns at once. */
  public void tick() {
    if (joined) {
      return;
    }
    if (router.view().node(request.getNodeId()).isPresent()) {
      joined = true;
      LOG.info("node {} is a member of the cluster; the metadata reaches it as a learner of the metadata group", request.getNodeId());
      return;
    }
    if (!asking.compareAndSet(false, true)) {
      return;
    }
    int attempt = attempts++;
    HostPort target = join.get(attempt % join.size());
    var call = NodeServiceGrpc.newFutureStub(peers.to(target.toString()))
        .withDeadlineAfter(JOIN_DEADLINE_MS, TimeUnit.MILLISECONDS)
        .joinCluster(request);
    call.addListener(() -> {
      try {
        call.get();
      } catch (Exception e) {
        if (attempt % LOG_EVERY_FAILURES == 0) {
          LOG.warn("joining the cluster through {} failed (attempt {}), trying again: {}", target, attempt + 1,
              e.getCause() == null ? e : e.getCause().getMessage());
        }
      } finally {
        asking.set(false);
      }
    }, Runnable::run);
  }
}
