package io.ordo.raft.metadata;

import com.alipay.sofa.jraft.entity.PeerId;
import io.ordo.proto.raft.v1.GroupRecord;
import io.ordo.proto.raft.v1.MetadataState;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.raft.v1.UserRecord;
import io.ordo.proto.v1.Acl;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An immutable view of the metadata at one applied index, safe to share between threads. */
public final class MetadataView {
  private final MetadataState state;
  private final Map<Integer, NodeInfo> nodesById = new HashMap<>();
  private final Map<String, NodeInfo> nodesByRaftAddress = new HashMap<>();
  private final Map<String, TopicRecord> topicsByName = new HashMap<>();
  private final Map<String, GroupRecord> groupsByName = new HashMap<>();
  private final Map<String, UserRecord> usersByName = new HashMap<>();

  public MetadataView(MetadataState state) {
    this.state = state;
    for (NodeInfo n : state.getNodesList()) {
      nodesById.put(n.getNodeId(), n);
      nodesByRaftAddress.put(n.getRaftAddress(), n);
    }
    for (TopicRecord t : state.getTopicsList()) {
      topicsByName.put(t.getName(), t);
    }
    for (GroupRecord g : state.getGroupsList()) {
      groupsByName.put(g.getName(), g);
    }
    for (UserRecord u : state.getUsersList()) {
      usersByName.put(u.getName(), u);
    }
  }

  public MetadataState state() {
    return state;
  }

  public Optional<NodeInfo> node(int nodeId) {
    return Optional.ofNullable(nodesById.get(nodeId));
  }

  /**
   * The node's Raft peer id, as its replicas run and as groups name it: its Raft endpoint, and
   * {@code :incarnation} once it came back with a new data directory (jraft's PeerId index).
   */
  public static String raftPeer(NodeInfo node) {
    return node.getIncarnation() == 0 ? node.getRaftAddress() : node.getRaftAddress() + ":" + node.getIncarnation();
  }

  /** The node whose current Raft peer id is {@code raftPeer}; empty for another incarnation's. */
  public Optional<NodeInfo> nodeByRaftPeer(String raftPeer) {
    return nodeAtRaftPeer(raftPeer).filter(n -> raftPeer(n).equals(raftPeer));
  }

  /** The node at {@code raftPeer}'s Raft endpoint, whichever incarnation of it the peer id names. */
  public Optional<NodeInfo> nodeAtRaftPeer(String raftPeer) {
    return nodeByRaftAddress(PeerId.parsePeer(raftPeer).getEndpoint().toString());
  }

  /** The node whose Raft endpoint is {@code raftAddress} (host:port). */
  public Optional<NodeInfo> nodeByRaftAddress(String raftAddress) {
    return Optional.ofNullable(raftAddress == null ? null : nodesByRaftAddress.get(raftAddress));
  }

  public Optional<TopicRecord> topic(String name) {
    return Optional.ofNullable(topicsByName.get(name));
  }

  /** Each registered node's rack, by node id; nodes without one are absent. */
  public Map<Integer, String> racks() {
    Map<Integer, String> racks = new HashMap<>();
    for (NodeInfo node : state.getNodesList()) {
      if (!node.getRack().isEmpty()) {
        racks.put(node.getNodeId(), node.getRack());
      }
    }
    return racks;
  }

  public Map<String, TopicRecord> topics() {
    return Collections.unmodifiableMap(topicsByName);
  }

  public Optional<GroupRecord> group(String name) {
    return Optional.ofNullable(groupsByName.get(name));
  }

  public Collection<GroupRecord> groups() {
    return Collections.unmodifiableCollection(groupsByName.values());
  }

  /** Every ACL, in the order they were added. */
  public List<Acl> acls() {
    return state.getAclsList();
  }

  public Optional<UserRecord> user(String name) {
    return Optional.ofNullable(usersByName.get(name));
  }

  /** Whether the cluster's finalized feature level has {@code level} (see {@link FeatureLevel}). */
  public boolean hasFeature(int level) {
    return state.getFinalizedFeatureLevel() >= level;
  }
}
