package io.ordo.raft.multiraft;

import com.alipay.remoting.config.BoltServerOption;
import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.RaftGroupService;
import com.alipay.sofa.jraft.StateMachine;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.core.DefaultJRaftServiceFactory;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcServer;
import com.alipay.sofa.jraft.storage.LogStorage;
import com.alipay.sofa.jraft.storage.SnapshotStorage;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.ThreadPoolsFactory;
import io.ordo.jraft.DaemonThreads;
import io.ordo.jraft.RaftPortTls;
import io.ordo.jraft.RaftRequestProcessors;
import io.ordo.jraft.SharedClientRpcFactory;
import io.ordo.jraft.SharedDisruptors;
import io.ordo.jraft.SharedReadIndexScan;
import io.ordo.raft.log.RaftLogStore;
import io.ordo.raft.snapshot.ExportingSnapshotStorage;
import io.ordo.raft.snapshot.SnapshotSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionHandler;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The node's Raft endpoint and its groups. One RPC server, bound to the configured address only,
 * serves every group on the node. Groups share jraft's timers, one closure pool, the server's
 * request pools, one Bolt client, their event-queue threads and read-index scan ({@code
 * io.ordo.jraft}): a node's threads do not grow with its groups.
 */
public final class RaftHost implements AutoCloseable {
  /**
   * Runs every group's closures and log wake-ups (jraft's default pool hands each task a new
   * thread up to its maximum, then rejects it, and a rejected task fails its replica). A snapshot
   * download holds a thread for its whole length, hence more threads than cores.
   */
  private static final int CLOSURE_THREADS = 8;
  /** Closures waiting for a thread; past it the submitting thread runs the closure itself. */
  private static final int CLOSURE_BACKLOG = 65_536;
  /** Raft requests (votes, snapshots, read-index) run on these; appends on RaftRequestProcessors' own. */
  private static final int REQUEST_THREADS = 4;
  /** Raft requests waiting for a thread; past it Bolt answers the peer that the server is busy. */
  private static final int REQUEST_BACKLOG = 10_000;
  /**
   * Each group's pool for vote and snapshot RPC callbacks: jraft keeps a third of it as core
   * threads that never time out, 26 per group at its default of 80.
   */
  private static final int RPC_CALLBACK_THREADS_PER_GROUP = 2;
  /** Beside a group's snapshot directory: the copies of its state exported for followers. */
  private static final String SNAPSHOT_EXPORT_DIR = "snapshot-export";
  /**
   * Heartbeats a partition's leader sends each follower per election timeout: every 500 ms at the
   * 2 s default, the most a thousand partitions' heartbeats can cost on a small node. A follower
   * notices a dead leader between one and two timeouts after its last heartbeat (jraft checks on a
   * randomised timer), so the timeout, not the heartbeat rate, decides a failover's length.
   */
  private static final int PARTITION_HEARTBEATS_PER_TIMEOUT = 4;
  /** The metadata group's: one group, so jraft's default rate costs nothing. */
  private static final int METADATA_HEARTBEATS_PER_TIMEOUT = 10;

  private static final ThreadPoolExecutor CLOSURES =
      fixedPool("ordo-raft-closure", CLOSURE_THREADS, CLOSURE_BACKLOG, new ThreadPoolExecutor.CallerRunsPolicy());

  static {
    // SOFABolt's own log framework writes files under ~/logs and breaks on log4j 2.2x's SLF4J 2
    // binding; jraft's logs (through SLF4J) say what matters.
    defaultProperty("sofa.middleware.log.disable", "true");
    // ... and says so on stderr at its WARN level, a line no log collector could parse.
    defaultProperty("sofa.middleware.log.internal.level", "ERROR");
    // jraft's generated protobuf code predates protobuf 22 and works on 3.25 with a warning per
    // message type; the advisory behind it concerns untrusted input, and Raft peers are trusted.
    defaultProperty("com.google.protobuf.use_unsafe_pre22_gencode", "true");
    // jraft's shared scheduler (every group's heartbeat timers) is a pool of three threads that
    // take turns waiting for the next due task, each new earliest task waking one; its tasks are
    // short or hand their work on, so one thread does the same with fewer wake-ups (its other
    // shared timers are io.ordo.jraft's).
    defaultProperty("jraft.timer.global_scheduler_workers", "1");
    // jraft pools the buffer of each AppendEntries it sends (up to 4 MiB each) and keeps every
    // buffer handed back from another thread in a queue without a bound: a leader's peak of requests
    // in flight stays on its heap for good (85-120 MB of a 256 MB heap at 17k records/s, which then
    // collected every few hundred milliseconds, pauses up to 150 ms). Unpooled, they die young.
    defaultProperty("jraft.recyclers.maxCapacityPerThread", "0");
  }

  /** Sets a system property jraft or Bolt reads once, unless the JVM was started with it. */
  private static void defaultProperty(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private final Endpoint endpoint;
  private final Path raftDir;
  private final RaftLogStore logStore;
  private final RaftSettings settings;
  private final RpcServer rpcServer;
  private final ThreadPoolExecutor requests;
  private final ThreadPoolExecutor adminRequests;
  private final Map<String, RaftGroupService> groups = new ConcurrentHashMap<>();
  private final DefaultJRaftServiceFactory serviceFactory = serviceFactory();
  private volatile boolean listening;
  /** This node's Raft peer id in every group, from {@link #start}. */
  private volatile PeerId selfPeer;

  /**
   * @param raftDir each group's Raft meta (term, vote) and snapshots, in a directory per group
   * @param logStore every group's Raft log
   * @param tls mutual TLS for the Raft port, server and client; null: plaintext
   */
  public RaftHost(Endpoint endpoint, Path raftDir, RaftLogStore logStore, RaftSettings settings, RaftPortTls tls) {
    this.endpoint = endpoint;
    this.raftDir = raftDir;
    this.logStore = logStore;
    this.settings = settings;
    com.alipay.remoting.rpc.RpcServer bolt = new com.alipay.remoting.rpc.RpcServer(endpoint.getIp(), endpoint.getPort(), true);
    if (tls != null) {
      bolt.option(BoltServerOption.EXTENDED_NETTY_CHANNEL_HANDLER, tls.serverHandlers());
      SharedClientRpcFactory.secure(tls);
    }
    this.rpcServer = new BoltRpcServer(bolt);
    this.requests = fixedPool("ordo-raft-request", REQUEST_THREADS, REQUEST_BACKLOG, new ThreadPoolExecutor.AbortPolicy());
    this.adminRequests = fixedPool("ordo-raft-admin", 1, REQUEST_BACKLOG, new ThreadPoolExecutor.AbortPolicy());
    RaftRequestProcessors.register(rpcServer, requests, adminRequests);
  }

  private static ThreadPoolExecutor fixedPool(
      String name, int threads, int backlog, RejectedExecutionHandler whenFull) {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(backlog),
            DaemonThreads.numbered(name),
            whenFull);
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /**
   * Listens; until groups start, a request for one is answered as by a dead peer. A leader that
   * adds this node to its group before then connects, and so keeps trying (jraft gives up on a
   * new member it cannot connect to).
   */
  public void start() {
    if (!rpcServer.init(null)) {
      throw new IllegalStateException("cannot listen for Raft on " + endpoint + " (is the port taken?)");
    }
    listening = true;
  }

  /**
   * Runs every group started from now on as {@code incarnation} of this node: its peer id in each
   * group is the endpoint with that index, so requests meant for an earlier incarnation (a data
   * directory this node lost) find no replica here and are answered as by a dead peer.
   */
  public void runAs(int incarnation) {
    selfPeer = new PeerId(endpoint, incarnation);
  }

  /** This node's peer id in its groups (host:port[:incarnation]); null before {@link #runAs}. */
  public PeerId selfPeer() {
    return selfPeer;
  }

  /**
   * Starts group {@code groupId} with this node as a member of {@code peers} (Raft peer ids,
   * host:port[:incarnation]; none for a replica that waits to be taken in), resuming from its log and snapshots if it ran here before.
   */
  public Node startGroup(String groupId, List<String> peers, StateMachine fsm) {
    return start(groupId, peers, fsm, settings.partitionElectionTimeoutMs(), PARTITION_HEARTBEATS_PER_TIMEOUT);
  }

  /** What RocksDB said of the last write of group {@code groupId}'s log that failed, if one did. */
  public Optional<String> logWriteFailure(String groupId) {
    return logStore.lastWriteFailure(groupId);
  }

  /** The election timeout of partitions' groups. */
  public int partitionElectionTimeoutMs() {
    return settings.partitionElectionTimeoutMs();
  }

  /**
   * Starts the cluster's metadata group as {@link #startGroup}, with its own election timeout and
   * event-queue threads of its own: leader elections, topic changes and group membership must not
   * wait behind partitions' writes on the threads partitions share.
   */
  public Node startMetadataGroup(String groupId, List<String> peers, StateMachine fsm) {
    return SharedDisruptors.withDedicatedThreads(() -> start(groupId, peers, fsm, settings.electionTimeoutMs(), METADATA_HEARTBEATS_PER_TIMEOUT));
  }

  private Node start(String groupId, List<String> peers, StateMachine fsm, int electionTimeoutMs, int heartbeatsPerTimeout) {
    Path dir = raftDir.resolve(groupId);
    try {
      Files.createDirectories(dir.resolve("snapshot"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    NodeOptions options = new NodeOptions();
    options.setElectionTimeoutMs(electionTimeoutMs);
    options.setSnapshotIntervalSecs(settings.snapshotIntervalSecs());
    options.setSnapshotLogIndexMargin(settings.snapshotLogIndexMargin());
    options.setInitialConf(new Configuration(peers.stream().map(PeerId::parsePeer).toList()));
    options.setFsm(fsm);
    options.setServiceFactory(serviceFactory);
    options.setLogUri(groupId); // RaftLogStore's storages know their group by this URI
    options.setRaftMetaUri(dir.resolve("meta").toString());
    options.setSnapshotUri(dir.resolve("snapshot").toString());
    options.setSharedElectionTimer(true);
    options.setSharedVoteTimer(true);
    options.setSharedStepDownTimer(true);
    options.setSharedSnapshotTimer(true);
    options.setSharedTimerPool(true);
    options.setRpcProcessorThreadPoolSize(RPC_CALLBACK_THREADS_PER_GROUP);
    RaftOptions raft = new RaftOptions();
    raft.setSync(true); // a write is acknowledged only once fsynced on a majority
    raft.setSyncMeta(true); // a vote must survive a power cut, or a node could vote twice in a term
    raft.setMaxBodySize(4 * 1024 * 1024);
    raft.setMaxByteCountPerRpc(1024 * 1024);
    raft.setDisruptorBufferSize(1024); // the metadata group's; partitions' shared queues get fewer (SharedDisruptors)
    raft.setElectionHeartbeatFactor(heartbeatsPerTimeout);
    options.setRaftOptions(raft);
    try {
      ThreadPoolsFactory.registerThreadPool(groupId, CLOSURES);
    } catch (IllegalArgumentException alreadyRegistered) {
      // jraft keeps a group's pool for the JVM's life: a group restarted here has CLOSURES already.
    }
    RaftGroupService service =
        new RaftGroupService(groupId, selfPeer, options, rpcServer, true);
    Node node = service.start(false);
    if (node == null) {
      throw new IllegalStateException("raft group " + groupId + " did not start");
    }
    SharedReadIndexScan.adopt(node);
    groups.put(groupId, service);
    return node;
  }

  /**
   * Groups keep their logs in the node's Raft log store (the group's log URI is its id); a group
   * whose state machine is a {@link SnapshotSource} takes snapshots that are only a flush, and
   * exports its state when a follower copies one.
   */
  private DefaultJRaftServiceFactory serviceFactory() {
    return new DefaultJRaftServiceFactory() {
      @Override
      public LogStorage createLogStorage(String uri, RaftOptions raftOptions) {
        return logStore.logStorage(uri, raftOptions.isSync());
      }

      @Override
      public SnapshotStorage createSnapshotStorage(NodeOptions options) {
        if (!(options.getFsm() instanceof SnapshotSource source)) {
          return super.createSnapshotStorage(options);
        }
        Path exports = Path.of(options.getSnapshotUri()).resolveSibling(SNAPSHOT_EXPORT_DIR);
        return new ExportingSnapshotStorage(
            options.getSnapshotUri(), options.getSnapshotTempUri(), options.getRaftOptions(), source, exports);
      }
    };
  }

  /** Stops the group; its log and snapshots stay on disk. */
  public void stopGroup(String groupId) {
    RaftGroupService service = groups.remove(groupId);
    if (service == null) {
      return;
    }
    SharedReadIndexScan.release(service.getRaftNode());
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
    if (listening) {
      // Bolt's server shuts itself down when it cannot listen, and refuses a second shutdown.
      rpcServer.shutdown();
    }
    requests.shutdown();
    adminRequests.shutdown();
  }
}
