package io.ordo.raft.multiraft;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.RaftGroupService;
import com.alipay.sofa.jraft.StateMachine;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.rpc.RaftRpcServerFactory;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcServer;
import com.alipay.sofa.jraft.util.Endpoint;
import io.ordo.raft.log.RaftLogStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The node's Raft endpoint and its groups. One RPC server, bound to the configured address only,
 * serves every group on the node; groups share jraft's timers, so a replica costs little more than
 * its log.
 */
public final class RaftHost implements AutoCloseable {
  static {
    // With many groups per JVM the default closure pool rejects tasks and replicas fail.
    if (System.getProperty("jraft.closure.threadpool.size.max") == null) {
      System.setProperty("jraft.closure.threadpool.size.max", "1024");
    }
    // SOFABolt's own log framework writes files under ~/logs and breaks on log4j 2.2x's SLF4J 2
    // binding; jraft's logs (through SLF4J) say what matters.
    if (System.getProperty("sofa.middleware.log.disable") == null) {
      System.setProperty("sofa.middleware.log.disable", "true");
    }
    // jraft's generated protobuf code predates protobuf 22 and works on 3.25 with a warning per
    // message type; the advisory behind it concerns untrusted input, and Raft peers are trusted.
    if (System.getProperty("com.google.protobuf.use_unsafe_pre22_gencode") == null) {
      System.setProperty("com.google.protobuf.use_unsafe_pre22_gencode", "true");
    }
  }

  private final Endpoint endpoint;
  private final Path raftDir;
  private final RaftLogStore logStore;
  private final RaftSettings settings;
  private final RpcServer rpcServer;
  private final Map<String, RaftGroupService> groups = new ConcurrentHashMap<>();

  /**
   * @param raftDir each group's Raft meta (term, vote) and snapshots, in a directory per group
   * @param logStore every group's Raft log
   */
  public RaftHost(Endpoint endpoint, Path raftDir, RaftLogStore logStore, RaftSettings settings) {
    this.endpoint = endpoint;
    this.raftDir = raftDir;
    this.logStore = logStore;
    this.settings = settings;
    this.rpcServer =
        new BoltRpcServer(new com.alipay.remoting.rpc.RpcServer(endpoint.getIp(), endpoint.getPort(), true));
    RaftRpcServerFactory.addRaftRequestProcessors(rpcServer);
  }

  public void start() {
    if (!rpcServer.init(null)) {
      throw new IllegalStateException("cannot listen for Raft on " + endpoint);
    }
  }

  public Endpoint endpoint() {
    return endpoint;
  }

  /**
   * Starts group {@code groupId} with this node as a member of {@code peers} (Raft endpoints,
   * host:port), resuming from its log and snapshots if it ran here before.
   */
  public Node startGroup(String groupId, List<String> peers, StateMachine fsm) {
    Path dir = raftDir.resolve(groupId);
    try {
      Files.createDirectories(dir.resolve("snapshot"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    NodeOptions options = new NodeOptions();
    options.setElectionTimeoutMs(settings.electionTimeoutMs());
    options.setSnapshotIntervalSecs(settings.snapshotIntervalSecs());
    options.setSnapshotLogIndexMargin(settings.snapshotLogIndexMargin());
    options.setInitialConf(new Configuration(peers.stream().map(PeerId::parsePeer).toList()));
    options.setFsm(fsm);
    options.setServiceFactory(logStore.serviceFactory());
    options.setLogUri(groupId); // RaftLogStore's storages know their group by this URI
    options.setRaftMetaUri(dir.resolve("meta").toString());
    options.setSnapshotUri(dir.resolve("snapshot").toString());
    options.setSharedElectionTimer(true);
    options.setSharedVoteTimer(true);
    options.setSharedStepDownTimer(true);
    options.setSharedSnapshotTimer(true);
    options.setSharedTimerPool(true);
    RaftOptions raft = new RaftOptions();
    raft.setSync(true); // a write is acknowledged only once fsynced on a majority
    raft.setSyncMeta(true); // a vote must survive a power cut, or a node could vote twice in a term
    raft.setMaxBodySize(4 * 1024 * 1024);
    raft.setMaxByteCountPerRpc(1024 * 1024);
    raft.setDisruptorBufferSize(1024);
    options.setRaftOptions(raft);
    RaftGroupService service =
        new RaftGroupService(groupId, new PeerId(endpoint, 0), options, rpcServer, true);
    Node node = service.start(false);
    if (node == null) {
      throw new IllegalStateException("raft group " + groupId + " did not start");
    }
    groups.put(groupId, service);
    return node;
  }

  /** Stops the group; its log and snapshots stay on disk. */
  public void stopGroup(String groupId) {
    RaftGroupService service = groups.remove(groupId);
    if (service == null) {
      return;
    }
    service.shutdown();
    try {
      service.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the group and deletes its log and snapshots. */
  public void destroyGroup(String groupId) {
    stopGroup(groupId);
    logStore.deleteGroup(groupId);
    Path dir = raftDir.resolve(groupId);
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  @Override
  public void close() {
    for (String groupId : List.copyOf(groups.keySet())) {
      stopGroup(groupId);
    }
    rpcServer.shutdown();
  }
}
