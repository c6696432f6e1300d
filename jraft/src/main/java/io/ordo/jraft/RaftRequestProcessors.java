package io.ordo.jraft;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.NodeManager;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.rpc.ProtobufMsgFactory;
import com.alipay.sofa.jraft.rpc.RaftRpcServerFactory;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequestHeader;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.PingRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.cli.AddLearnersRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.cli.AddPeerRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.cli.ChangePeersRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.cli.GetLeaderRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.cli.GetPeersRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.cli.RemoveLearnersRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.cli.RemovePeerRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.cli.ResetLearnersRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.cli.ResetPeerRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.cli.SnapshotRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.cli.TransferLeaderRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.core.AppendEntriesRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.core.GetFileRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.core.InstallSnapshotRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.core.ReadIndexRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.core.RequestVoteRequestProcessor;
import com.alipay.sofa.jraft.rpc.impl.core.TimeoutNowRequestProcessor;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The request handlers of a node's Raft server, as {@link RaftRpcServerFactory} registers them but
 * for one: a follower's appends from a leader run on one of {@link #FOLLOWER_THREADS} shared
 * threads instead of a thread per group and leader (jraft's), each group and leader always on the
 * same one, which keeps that leader's appends in order as jraft's pipeline needs.
 */
public final class RaftRequestProcessors {
  static final int FOLLOWER_THREADS = 4;
  /** Appends waiting for a follower thread; past it the leader is told the server is busy and retries. */
  static final int FOLLOWER_BACKLOG = 32_768;

  private static final Stripe[] FOLLOWERS = new Stripe[FOLLOWER_THREADS];

  static {
    for (int i = 0; i < FOLLOWER_THREADS; i++) {
      FOLLOWERS[i] = new Stripe("ordo-raft-follower-" + i, FOLLOWER_BACKLOG);
    }
  }

  private RaftRequestProcessors() {}

  /**
   * @param raftExecutor runs votes, snapshots, read-index and the appends of groups without pipeline
   * @param adminExecutor runs membership and leadership requests (jraft's CLI service) and pings
   */
  public static void register(RpcServer server, Executor raftExecutor, Executor adminExecutor) {
    // Registers jraft's protobuf serializers with Bolt, which otherwise decodes a request with
    // Hessian into garbage: jraft does this when its first group starts, and a node may listen
    // before it has any group (while it decides how to start on a new data directory).
    ProtobufMsgFactory.load();
    StripedAppendEntries appends = new StripedAppendEntries(raftExecutor);
    server.registerConnectionClosedEventListener(appends);
    server.registerProcessor(appends);
    server.registerProcessor(new AppendEntriesBatchProcessor(appends));
    server.registerProcessor(new GetFileRequestProcessor(raftExecutor));
    server.registerProcessor(new InstallSnapshotRequestProcessor(raftExecutor));
    server.registerProcessor(new RequestVoteRequestProcessor(raftExecutor));
    server.registerProcessor(new PingRequestProcessor(adminExecutor));
    server.registerProcessor(new TimeoutNowRequestProcessor(raftExecutor));
    server.registerProcessor(new ReadIndexRequestProcessor(raftExecutor));
    server.registerProcessor(new AddPeerRequestProcessor(adminExecutor));
    server.registerProcessor(new RemovePeerRequestProcessor(adminExecutor));
    server.registerProcessor(new ResetPeerRequestProcessor(adminExecutor));
    server.registerProcessor(new ChangePeersRequestProcessor(adminExecutor));
    server.registerProcessor(new GetLeaderRequestProcessor(adminExecutor));
    server.registerProcessor(new SnapshotRequestProcessor(adminExecutor));
    server.registerProcessor(new TransferLeaderRequestProcessor(adminExecutor));
    server.registerProcessor(new GetPeersRequestProcessor(adminExecutor));
    server.registerProcessor(new AddLearnersRequestProcessor(adminExecutor));
    server.registerProcessor(new RemoveLearnersRequestProcessor(adminExecutor));
    server.registerProcessor(new ResetLearnersRequestProcessor(adminExecutor));
  }

  /** The follower thread of a group and its leader ({@code peerId}) on this node ({@code serverId}). */
  private static Executor followerThread(String groupId, String peerId, String serverId) {
    return FOLLOWERS[Math.floorMod(Objects.hash(groupId, peerId, serverId), FOLLOWER_THREADS)];
  }

  /** jraft's AppendEntries handler, each group and leader on its follower thread. */
  static final class StripedAppendEntries extends AppendEntriesRequestProcessor {
    private final ExecutorSelector selector;

    StripedAppendEntries(Executor executor) {
      super(executor);
      this.selector =
          (requestClass, requestHeader) -> {
            AppendEntriesRequestHeader header = (AppendEntriesRequestHeader) requestHeader;
            return executorFor(header.getGroupId(), header.getPeerId(), header.getServerId());
          };
    }

    /** Where a request of the group from the leader {@code peerId} to {@code serverId} runs. */
    Executor executorFor(String groupId, String peerId, String serverId) {
      PeerId peer = new PeerId();
      if (!peer.parse(peerId)) {
        return executor();
      }
      Node node = NodeManager.getInstance().get(groupId, peer);
      if (node == null || !node.getRaftOptions().isReplicatorPipeline()) {
        return executor();
      }
      RpcFactoryHelper.rpcFactory().ensurePipeline();
      return followerThread(groupId, peerId, serverId);
    }

    @Override
    public ExecutorSelector executorSelector() {
      return selector;
    }
  }
}
