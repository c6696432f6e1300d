package io.ordo.raft.multiraft;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.entity.PeerId;
import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.raft.metadata.MetadataView;
import io.ordo.raft.partition.PartitionId;
import io.ordo.raft.partition.PartitionReplica;
import io.ordo.raft.partition.ReplicaEnvironment;
import io.ordo.raft.storage.DataStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's partition replicas in line with the metadata: starts the replicas placed here
 * or being moved here, and stops and deletes those of deleted topics and those moved away. Works on one thread of its own, always towards
 * the newest view it was given, starting replicas a few at a time.
 */
public final class ReplicaManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaManager.class);
  /**
   * Replicas started at once: a start writes the group's Raft meta file (an fsync) and sets up its
   * log and snapshot storage, so a thousand one at a time take tens of seconds.
   */
  private static final int PARALLEL_STARTS = 4;

  /** A new partition's preferred leader campaigns after this, the others after the election timeout. */
  static final int FIRST_ELECTION_TIMEOUT_MS = 300;

  private final int nodeId;
  private final RaftHost host;
  private final DataStore store;
  private final ReplicaEnvironment env;
  private final Map<PartitionId, PartitionReplica> replicas = new ConcurrentHashMap<>();
  /** The Raft address of each local partition's preferred leader (its first replica). */
  private final Map<PartitionId, String> preferredLeaders = new ConcurrentHashMap<>();
  private final AtomicReference<MetadataView> latest = new AtomicReference<>();
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(r -> new Thread(r, "ordo-replica-manager"));
  private final ExecutorService starts =
      Executors.newFixedThreadPool(PARALLEL_STARTS, r -> new Thread(r, "ordo-replica-start"));
  private volatile boolean closed;

  public ReplicaManager(int nodeId, RaftHost host, DataStore store, ReplicaEnvironment env) {
    this.nodeId = nodeId;
    this.host = host;
    this.store = store;
    this.env = env;
  }

  /** Takes note of a new metadata view; returns at once. */
  public void onMetadata(MetadataView view) {
    if (latest.getAndSet(view) == null) {
      worker.execute(this::reconcile);
    }
  }

  public Optional<PartitionReplica> replica(PartitionId id) {
    return Optional.ofNullable(replicas.get(id));
  }

  public Collection<PartitionReplica> replicas() {
    return replicas.values();
  }

  private void reconcile() {
    MetadataView view = latest.getAndSet(null);
    if (view == null || closed) {
      return;
    }
    Map<PartitionId, List<String>> wanted = new HashMap<>();
    for (TopicRecord topic : view.topics().values()) {
      for (PartitionPlacement placement : topic.getPartitionsList()) {
        PartitionId id = new PartitionId(topic.getTopicId(), placement.getPartition());
        if (placement.getReplicasList().contains(nodeId)) {
          List<String> peers = raftPeers(view, placement.getReplicasList());
          // Only a new partition's replicas start as its first members (see PartitionPlacement.moved);
          // one started without its log while the group changes (this node's new data directory
          // rejoins it, see AssignStorage) waits for the leader to take it in.
          boolean joinsRunningGroup = placement.getMoved() || placement.getTargetReplicasCount() > 0;
          wanted.put(id, joinsRunningGroup ? List.of() : peers);
          if (!peers.isEmpty()) {
            preferredLeaders.put(id, peers.get(0));
          }
        } else if (placement.getTargetReplicasList().contains(nodeId)) {
          // Joins as the group changes its members: started without any, it never campaigns and
          // learns its group's members from the leader once added.
          wanted.put(id, List.of());
        }
      }
    }
    List<Callable<Void>> missing = new ArrayList<>();
    for (Map.Entry<PartitionId, List<String>> e : wanted.entrySet()) {
      if (!replicas.containsKey(e.getKey())) {
        missing.add(() -> {
          start(e.getKey(), e.getValue());
          return null;
        });
      }
    }
    try {
      starts.invokeAll(missing);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    for (PartitionId id : List.copyOf(replicas.keySet())) {
      if (!wanted.containsKey(id)) {
        destroy(id);
      }
    }
  }

  /** The Raft peer ids ({@link MetadataView#raftPeer}) of {@code nodeIds} that the view knows, in order. */
  public static List<String> raftPeers(MetadataView view, List<Integer> nodeIds) {
    List<String> peers = new ArrayList<>();
    for (int replicaNode : nodeIds) {
      view.node(replicaNode).map(MetadataView::raftPeer).ifPresent(peers::add);
    }
    return peers;
  }

  private void start(PartitionId id, List<String> peers) {
    try {
      PartitionReplica replica = new PartitionReplica(id, store.partition(id.storageKey()), env);
      Node node = host.startGroup(id.groupId(), peers, replica);
      replica.bind(node, () -> host.logWriteFailure(id.groupId()));
      if (host.selfPeer().toString().equals(preferredLeaders.get(id))) {
        replica.campaignFirst(FIRST_ELECTION_TIMEOUT_MS, host.partitionElectionTimeoutMs());
      }
      replicas.put(id, replica);
    } catch (RuntimeException e) {
      LOG.error("cannot start the replica of partition {}", id, e);
    }
  }

  private void destroy(PartitionId id) {
    replicas.remove(id);
    preferredLeaders.remove(id);
    host.destroyGroup(id.groupId());
    store.partition(id.storageKey()).deleteAll();
    LOG.info("deleted the replica of partition {}", id);
  }

  /**
   * Moves leadership of each partition this node leads but is not the preferred leader of to the
   * preferred leader, when the leader hears from it. Placement spreads preferred leaders evenly,
   * so this undoes the pile-up of leaders on the survivors after a node restarts.
   */
  public void balanceLeaders() {
    String self = host.selfPeer().toString();
    replicas.forEach(
        (id, replica) -> {
          String preferred = preferredLeaders.get(id);
          if (preferred != null
              && !preferred.equals(self)
              && replica.isLeader()
              && replica.alivePeerIds().contains(preferred)) {
            replica.transferLeadership(PeerId.parsePeer(preferred));
          }
        });
  }

  /** Has each partition this node leads end its queue groups' due leases (see {@link PartitionReplica#expireDueLeases}). */
  public void expireDueLeases() {
    replicas.values().forEach(PartitionReplica::expireDueLeases);
  }

  /**
   * Asks every group this node leads to hand leadership to another replica, so a planned stop
   * costs clients a leader change of milliseconds instead of an election timeout.
   */
  public void transferLeadershipAway() {
    for (PartitionReplica replica : replicas.values()) {
      replica.transferLeadership(PeerId.ANY_PEER);
    }
  }

  @Override
  public void close() {
    closed = true;
    worker.shutdown();
    try {
      worker.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    starts.shutdown();
    for (PartitionId id : List.copyOf(replicas.keySet())) {
      replicas.remove(id);
      host.stopGroup(id.groupId());
    }
  }
}
