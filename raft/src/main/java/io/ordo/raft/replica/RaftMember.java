package io.ordo.raft.replica;

import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.closure.ReadIndexClosure;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.core.StateMachineAdapter;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.entity.Task;
import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.error.RaftException;
import com.alipay.sofa.jraft.util.Describer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A state machine bound to one jraft node, tracking the term it leads. jraft calls {@link
 * #onLeaderStart} once the leader has applied every entry of earlier terms, so {@link #isLeader()}
 * also means "this replica's state is current".
 */
public abstract class RaftMember extends StateMachineAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(RaftMember.class);

  private volatile Node node;
  /** What the log store last said of a write that failed (see {@link #bind(Node, Supplier)}). */
  private volatile Supplier<Optional<String>> logWriteFailure = Optional::empty;
  private volatile long leaderTerm = -1;
  /** Why jraft stopped this replica (see {@link #failure()}); null while it runs. */
  private volatile String failure;

  /** Called once the replica's jraft node exists. */
  public void bind(Node node) {
    this.node = node;
  }

  /** As {@link #bind(Node)}; {@code logWriteFailure} tells why the log store's last failed write failed. */
  public void bind(Node node, Supplier<Optional<String>> logWriteFailure) {
    this.logWriteFailure = logWriteFailure;
    bind(node);
  }

  protected Node node() {
    return node;
  }

  /** The term this replica leads, or -1 when it does not. */
  public long leaderTerm() {
    return leaderTerm;
  }

  /**
   * Why this replica stopped, if it did: it could not apply an entry (a storage error, a bug) or
   * store its Raft log. jraft then keeps it out of its group (it neither votes nor replicates)
   * until the node restarts and replays the log; the others go on without it.
   */
  public Optional<String> failure() {
    return Optional.ofNullable(failure);
  }

  public boolean isLeader() {
    Node n = node;
    return n != null && leaderTerm > 0 && n.isLeader();
  }

  /** The Raft endpoint (host:port) of the leader this replica knows of, or null. */
  public String leaderRaftAddress() {
    Node n = node;
    PeerId leader = n == null ? null : n.getLeaderId();
    return leader == null || leader.isEmpty() ? null : leader.getEndpoint().toString();
  }

  /**
   * The Raft peer ids (host:port[:incarnation]) of the members and learners the leader heard from
   * within an election timeout; empty on a follower.
   */
  public List<String> alivePeerIds() {
    Node n = node;
    List<String> out = new ArrayList<>();
    if (n != null && n.isLeader()) {
      for (PeerId p : n.listAlivePeers()) {
        out.add(p.toString());
      }
      for (PeerId p : n.listAliveLearners()) {
        out.add(p.toString());
      }
    }
    return out;
  }

  /**
   * Completes with true once this replica has applied everything its group had committed when it
   * was called (a Raft read index: the leader confirms it still leads with a heartbeat round, and
   * jraft runs the closure only after this node applied up to the index), so state read from it
   * afterwards is current; with false if that cannot be confirmed (no leader, no quorum, this node
   * deposed) within {@code timeoutMs}. On a follower jraft asks the leader for the index. Completes
   * on a jraft thread: callers hand their work off.
   */
  public CompletableFuture<Boolean> awaitCurrent(long timeoutMs) {
    CompletableFuture<Boolean> current = new CompletableFuture<>();
    Node n = node;
    if (n == null) {
      current.complete(false);
      return current;
    }
    n.readIndex(new byte[0], new ReadIndexClosure(timeoutMs) {
      @Override
      public void run(Status status, long index, byte[] requestContext) {
        current.complete(status.isOk());
      }
    });
    return current;
  }

  /**
   * Has this replica's group change its members to exactly {@code peers} (Raft peer ids), if this
   * replica leads it: jraft first lets members new to the group catch up from this leader, then
   * changes the membership in one joint-consensus step. Completes once the change is committed
   * (at once if the group already has those members) or has failed; with EPERM on a replica that
   * does not lead. Completes on a jraft thread.
   */
  public CompletableFuture<Status> changeMembers(List<String> peers) {
    return changeMembers(peers, List.of());
  }

  /** As {@link #changeMembers(List)}, with {@code learners} the group's learners afterwards. */
  public CompletableFuture<Status> changeMembers(List<String> peers, List<String> learners) {
    CompletableFuture<Status> done = new CompletableFuture<>();
    Node n = node;
    if (n == null || !n.isLeader()) {
      done.complete(new Status(RaftError.EPERM, "this replica does not lead its group"));
      return done;
    }
    n.changePeers(
        new Configuration(peers.stream().map(PeerId::parsePeer).toList(), learners.stream().map(PeerId::parsePeer).toList()),
        done::complete);
    // jraft 1.4.1 starts a new member's replicator before it waits for the member to catch up
    // (NodeImpl.ConfigurationCtx.addNewPeers). If the replicator's first probe is answered in
    // between, only the answer to a later append tells the wait, and in a group nothing writes
    // to, none comes: at its timeout jraft waits again while the member answers heartbeats, for
    // ever. An empty entry, appended once the wait exists (changePeers registers it before it
    // returns), brings that answer. A change asked for again (EBUSY) appends another.
    appendEmptyEntry(n);
    return done;
  }

  /**
   * An entry without a command: it only advances the applied index, on every replica. Its
   * outcome does not matter (a node too busy to take it is appending anyway).
   */
  private static void appendEmptyEntry(Node n) {
    try {
      n.apply(new Task(ByteBuffer.allocate(0), status -> {}));
    } catch (IllegalStateException shuttingDown) {
      // nothing left to change
    }
  }

  /** The Raft peer ids of the group's voting members; empty unless this replica leads. */
  public List<String> memberPeerIds() {
    return endpoints(Node::listPeers);
  }

  /** The Raft peer ids of the group's learners; empty unless this replica leads. */
  public List<String> learnerPeerIds() {
    return endpoints(Node::listLearners);
  }

  private List<String> endpoints(Function<Node, List<PeerId>> list) {
    Node n = node;
    try {
      return n == null || !n.isLeader() ? List.of() : list.apply(n).stream().map(PeerId::toString).toList();
    } catch (IllegalStateException deposedMeanwhile) {
      return List.of();
    }
  }

  /** Has this replica's group, if this replica leads it, stop replicating to learner {@code raftPeer}. */
  public CompletableFuture<Status> removeLearner(String raftPeer) {
    CompletableFuture<Status> done = new CompletableFuture<>();
    Node n = node;
    if (n == null || !n.isLeader()) {
      done.complete(new Status(RaftError.EPERM, "this replica does not lead its group"));
      return done;
    }
    n.removeLearners(List.of(PeerId.parsePeer(raftPeer)), done::complete);
    return done;
  }

  /**
   * Has this replica's group, if this replica leads it, replicate its log to {@code raftPeer} as
   * a learner: a non-voting member that never campaigns nor counts toward a quorum. Completes at
   * once if it is a member or learner already; with EPERM on a replica that does not lead.
   */
  public CompletableFuture<Status> addLearner(String raftPeer) {
    CompletableFuture<Status> done = new CompletableFuture<>();
    Node n = node;
    if (n == null || !n.isLeader()) {
      done.complete(new Status(RaftError.EPERM, "this replica does not lead its group"));
      return done;
    }
    PeerId learner = PeerId.parsePeer(raftPeer);
    List<String> members = memberPeerIds();
    if (members.isEmpty()) {
      done.complete(new Status(RaftError.EPERM, "this replica does not lead its group"));
      return done;
    }
    if (members.contains(raftPeer) || learnerPeerIds().contains(raftPeer)) {
      done.complete(Status.OK());
      return done;
    }
    n.addLearners(List.of(learner), done::complete);
    return done;
  }

  /**
   * jraft's account of this replica's node: its state, configuration, timers and, on a leader,
   * each replicator (next index, catch-up waits). For a log line when a change waits too long.
   */
  public String describe() {
    Node n = node;
    if (n == null) {
      return "no Raft node";
    }
    StringWriter text = new StringWriter();
    try (PrintWriter out = new PrintWriter(text)) {
      n.describe(new Describer.DefaultPrinter(out));
    }
    return text.toString();
  }

  /** Asks this replica, if it leads, to hand leadership to {@code peer}. */
  public void transferLeadership(PeerId peer) {
    Node n = node;
    if (n != null && n.isLeader()) {
      n.transferLeadershipTo(peer);
    }
  }

  /**
   * The current entry's data as a buffer of the caller's own, or null when the entry is empty.
   * jraft shares the entry's buffer with replication, so it is never read in place (sofa-jraft
   * #755, #1179); an empty entry proposed on the leader can arrive as null on a follower (#562).
   */
  protected static ByteBuffer entryData(Iterator iter) {
    ByteBuffer shared = iter.getData();
    if (shared == null) {
      return null;
    }
    ByteBuffer own = shared.duplicate();
    return own.hasRemaining() ? own : null;
  }

  /** Called when leadership starts or ends, after the term is updated. */
  protected void onLeadershipChange() {}

  @Override
  public void onLeaderStart(long term) {
    leaderTerm = term;
    onLeadershipChange();
  }

  @Override
  public void onLeaderStop(Status status) {
    leaderTerm = -1;
    onLeadershipChange();
  }

  /**
   * Stops this replica because applying the last {@code rollback} entries of {@code iter} failed:
   * jraft takes them back (the state machine must have written none of them), fails their waiting
   * clients with the error, and stops the replica (see {@link #failure()}).
   */
  protected void stopApplying(Iterator iter, int rollback, Exception cause) {
    String why = "apply failed: " + cause.getMessage();
    LOG.error("{}: {}; stopping the replica", this, why, cause);
    failure = why;
    iter.setErrorAndRollback(rollback, new Status(RaftError.ESTATEMACHINE, why));
  }

  @Override
  public void onError(RaftException e) {
    LOG.error("{}: replica stopped by error {}", this, e.getStatus(), e);
    if (failure != null) {
      return; // said by stopApplying, more precisely than jraft's wrapping of it
    }
    failure = switch (e.getType()) {
      case ERROR_TYPE_STATE_MACHINE -> "applying an entry failed: ";
      case ERROR_TYPE_LOG -> "storing the Raft log failed: " + logWriteFailure.get().map(why -> why + "; ").orElse("");
      case ERROR_TYPE_SNAPSHOT -> "taking or installing a snapshot failed: ";
      case ERROR_TYPE_STABLE, ERROR_TYPE_META -> "storing the Raft term or vote failed: ";
      default -> e.getType() + ": ";
    } + e.getStatus().getErrorMsg();
    leaderTerm = -1;
    onLeadershipChange();
  }

  @Override
  public void onShutdown() {
    leaderTerm = -1;
    onLeadershipChange();
  }
}
