package io.ordo.raft.metadata;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.entity.Task;
import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotReader;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotWriter;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.MetadataState;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.RegisterNodes;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.raft.replica.RaftMember;
import io.ordo.raft.replica.ReplicaError;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's replica of the metadata group. Publishes a fresh {@link MetadataView} after every
 * applied command; a new leader registers the initial nodes the first time the cluster starts.
 */
public final class MetadataReplica extends RaftMember {
  private static final Logger LOG = LoggerFactory.getLogger(MetadataReplica.class);
  static final String SNAPSHOT_FILE = "metadata.snap";

  /** The outcome of a proposal; one method is called, once. */
  public interface Callback {
    void onApplied(MetadataResult result);

    void onFailed(ReplicaError error);
  }

  private final MetadataStateMachine machine = new MetadataStateMachine(MetadataState.getDefaultInstance());
  private final List<NodeInfo> initialNodes;
  private final LongSupplier clock;
  private final Consumer<MetadataView> listener;
  private volatile MetadataView view = new MetadataView(MetadataState.getDefaultInstance());

  /**
   * @param listener told of every new view, on the apply thread: it must hand work off, not do it
   */
  public MetadataReplica(List<NodeInfo> initialNodes, LongSupplier clock, Consumer<MetadataView> listener) {
    this.initialNodes = List.copyOf(initialNodes);
    this.clock = clock;
    this.listener = listener;
  }

  public MetadataView view() {
    return view;
  }

  /** Proposes {@code command} (its timestamp is set here) if this replica leads. */
  public void propose(MetadataCommand command, Callback callback) {
    Node n = node();
    long term = leaderTerm();
    if (n == null || term <= 0 || !n.isLeader()) {
      String leader = leaderRaftAddress();
      callback.onFailed(
          leader == null
              ? new ReplicaError(ErrorCode.LEADER_NOT_AVAILABLE, "the metadata group has no leader right now", null)
              : new ReplicaError(ErrorCode.NOT_LEADER, "this node does not lead the metadata group", leader));
      return;
    }
    MetadataCommand stamped = command.toBuilder().setTimestampMs(clock.getAsLong()).build();
    n.apply(new Task(ByteBuffer.wrap(stamped.toByteArray()), new ProposalClosure(callback), term));
  }

  private final class ProposalClosure implements Closure {
    private final Callback callback;
    private MetadataResult result;

    ProposalClosure(Callback callback) {
      this.callback = callback;
    }

    @Override
    public void run(Status status) {
      if (status.isOk() && result != null) {
        callback.onApplied(result);
      } else {
        callback.onFailed(
            new ReplicaError(
                ErrorCode.OUTCOME_UNKNOWN,
                "the metadata change could not be confirmed (" + status.getErrorMsg() + "); it may or may not have happened",
                leaderRaftAddress()));
      }
    }
  }

  @Override
  public void onApply(Iterator iter) {
    List<Runnable> completions = new ArrayList<>();
    try {
      while (iter.hasNext()) {
        long index = iter.getIndex();
        Closure done = iter.done();
        ByteBuffer data = entryData(iter);
        if (!machine.isApplied(index) && data != null) {
          MetadataResult result = machine.apply(index, MetadataCommand.parseFrom(data));
          if (done instanceof ProposalClosure) {
            ((ProposalClosure) done).result = result;
          }
        }
        if (done != null) {
          completions.add(() -> done.run(Status.OK()));
        }
        iter.next();
      }
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      stopApplying(iter, 1, e);
      return;
    }
    publish();
    completions.forEach(Runnable::run);
  }

  private void publish() {
    view = new MetadataView(machine.state());
    listener.accept(view);
  }

  @Override
  public void onSnapshotSave(SnapshotWriter writer, Closure done) {
    Path file = Path.of(writer.getPath(), SNAPSHOT_FILE);
    try (FileOutputStream out = new FileOutputStream(file.toFile())) {
      machine.state().writeTo(out);
      out.getFD().sync();
    } catch (IOException e) {
      done.run(new Status(RaftError.EIO, "metadata snapshot failed: %s", e.getMessage()));
      return;
    }
    done.run(writer.addFile(SNAPSHOT_FILE) ? Status.OK() : new Status(RaftError.EIO, "cannot add snapshot file"));
  }

  @Override
  public boolean onSnapshotLoad(SnapshotReader reader) {
    try {
      machine.reset(MetadataState.parseFrom(Files.readAllBytes(Path.of(reader.getPath(), SNAPSHOT_FILE))));
    } catch (IOException e) {
      LOG.error("metadata: loading snapshot from {} failed", reader.getPath(), e);
      return false;
    }
    publish();
    return true;
  }

  @Override
  public void onLeaderStart(long term) {
    super.onLeaderStart(term);
    // The initial nodes are registered at the cluster's first start, and again when their addresses
    // changed; an initial node absent later was removed and stays so.
    boolean firstStart = view.state().getNodesCount() == 0;
    List<NodeInfo> missing = new ArrayList<>();
    for (NodeInfo n : initialNodes) {
      boolean moved = view.node(n.getNodeId())
          .map(r -> !r.getRaftAddress().equals(n.getRaftAddress()) || !r.getClientAddress().equals(n.getClientAddress()))
          .orElse(false);
      if (firstStart || moved) {
        missing.add(n);
      }
    }
    if (!missing.isEmpty()) {
      propose(
          MetadataCommand.newBuilder().setRegisterNodes(RegisterNodes.newBuilder().addAllNodes(missing)).build(),
          new Callback() {
            @Override
            public void onApplied(MetadataResult result) {
              LOG.info("metadata: registered nodes {}", missing.stream().map(NodeInfo::getNodeId).toList());
            }

            @Override
            public void onFailed(ReplicaError error) {
              LOG.warn("metadata: registering nodes failed: {}", error.message());
            }
          });
    }
  }

  @Override
  public String toString() {
    return "metadata";
  }
}
