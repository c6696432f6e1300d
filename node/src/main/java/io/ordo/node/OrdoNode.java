package io.ordo.node;

import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.util.Endpoint;
import io.grpc.BindableService;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.ordo.client.OrdoClient;
import io.ordo.jraft.DaemonThreads;
import io.ordo.jraft.RaftPortTls;
import io.ordo.node.config.ClusterMember;
import io.ordo.node.config.NodeConfig;
import io.ordo.node.deadletters.DeadLetterExporter;
import io.ordo.node.grpc.AdminGrpcService;
import io.ordo.node.grpc.CallExecutors;
import io.ordo.node.grpc.CallLimiter;
import io.ordo.node.grpc.ConsumerGrpcService;
import io.ordo.node.grpc.GroupGrpcService;
import io.ordo.node.grpc.NodeGrpcService;
import io.ordo.node.grpc.ProducerGrpcService;
import io.ordo.node.grpc.QueueGrpcService;
import io.ordo.node.grpc.SecurityGrpcService;
import io.ordo.node.grpc.StartingGate;
import io.ordo.node.membership.MembershipDriver;
import io.ordo.node.membership.NewStorage;
import io.ordo.node.membership.NodeJoins;
import io.ordo.node.membership.StorageIdentity;
import io.ordo.node.metrics.MetricsServer;
import io.ordo.node.metrics.NodeMetrics;
import io.ordo.node.retention.RetentionEnforcer;
import io.ordo.node.routing.ClusterInspector;
import io.ordo.node.routing.PeerChannels;
import io.ordo.node.routing.Router;
import io.ordo.node.security.Authentication;
import io.ordo.node.security.Authorization;
import io.ordo.proto.raft.v1.FinalizeFeatures;
import io.ordo.proto.raft.v1.MetadataCommand;
import io.ordo.proto.raft.v1.NodeInfo;
import io.ordo.protocol.Limits;
import io.ordo.protocol.TlsFiles;
import io.ordo.raft.log.RaftLogStore;
import io.ordo.raft.metadata.FeatureLevel;
import io.ordo.raft.metadata.MetadataReplica;
import io.ordo.raft.metadata.MetadataResult;
import io.ordo.raft.multiraft.RaftHost;
import io.ordo.raft.multiraft.RaftSettings;
import io.ordo.raft.multiraft.ReplicaManager;
import io.ordo.raft.partition.ParkedReads;
import io.ordo.raft.partition.PendingBytes;
import io.ordo.raft.partition.ReplicaEnvironment;
import io.ordo.raft.replica.ReplicaError;
import io.ordo.raft.storage.DataStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Ordo node. Data lives under {@code dataDir}: {@code store/} (RocksDB with every local
 * partition's records), {@code raft-log/} (RocksDB with every group's Raft log) and
 * {@code raft/<group>/} (each group's Raft meta and snapshots).
 */
public final class OrdoNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OrdoNode.class);
  static final String METADATA_GROUP = "metadata";
  /** How long a graceful stop waits for leadership to move off this node. */
  private static final long HANDOVER_WAIT_MS = 3_000;
  /** How often the metadata leader looks whether every node now supports a higher feature level. */
  private static final long FEATURE_CHECK_INTERVAL_MS = 2_000;
  /** How often partition leaders look for queue leases that have ended (leases last 100 ms or more). */
  private static final long LEASE_EXPIRY_INTERVAL_MS = 250;
  /** How often the group coordinator drops members whose session ended. */
  private static final long MEMBER_EXPIRY_INTERVAL_MS = 250;
  /** How often the metadata leader moves partitions to their targets and nodes that leave out of the cluster. */
  private static final long MEMBERSHIP_INTERVAL_MS = 1_000;
  /** How often the metadata leader asks the nodes which rack they run on. */
  private static final long RACK_CHECK_INTERVAL_MS = 10_000;
  /** How often partition leaders look for dead letters to export. */
  private static final long DEAD_LETTER_EXPORT_INTERVAL_MS = 250;
  /** How often the partitions a node leads look for records their retention lets go. */
  private static final long RETENTION_INTERVAL_MS = 5_000;
  /** How often the data store looks whether deleted records' space is worth collecting. */
  private static final long BLOB_GARBAGE_INTERVAL_MS = 30_000;
  /** How often the node looks whether one of its replicas stopped, for {@link #REPLICAS_HEALTH}. */
  private static final long HEALTH_CHECK_INTERVAL_MS = 1_000;
  /** The gRPC health service that says whether every replica of the node runs. */
  public static final String REPLICAS_HEALTH = "ordo.replicas";
  /** The dead-letter exporter's client: its appends and topic creations are retried this long. */
  private static final Duration EXPORT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final NodeConfig config;
  private final DataStore store;
  private final RaftLogStore raftLog;
  private final RaftHost raft;
  private final ReplicaManager replicas;
  private final MetadataReplica metadata;
  private final ClusterInspector inspector;
  private final MembershipDriver membership;
  private final NodeJoins joins;
  private final StorageIdentity identity;
  private final GroupGrpcService groups;
  private final DeadLetterExporter deadLetters;
  private final RetentionEnforcer retention;
  private final PeerChannels peers;
  private final ExecutorService work;
  /** Runs the client port's call handlers: a fixed pool, where gRPC's default grows a thread per waiting task. */
  private final ExecutorService grpcHandlers;
  private final ExecutorService snapshots;
  /** Plans compaction passes: one at a time for the node. */
  private final ExecutorService compaction;
  private final ScheduledExecutorService timer;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Server server;
  private final StartingGate gate;
  private final NodeMetrics metrics;
  /** Whether start() has finished: the node serves clients from then on, once its gate opens. */
  private volatile boolean started;
  /**
   * Whether the node serves clients (started and past its starting gate): gRPC health's ""
   * service, and the metrics port's /health. Probes and tests that wait for it may then call it.
   */
  private volatile boolean serving;
  /** Serves {@link #metrics} when the config names an address; null until started, or if not. */
  private MetricsServer metricsServer;

  private OrdoNode(NodeConfig config) throws IOException {
    this.config = config;
    // First: a directory found empty here is new, whatever the stores below create in it.
    this.identity = StorageIdentity.open(config.dataDir(), config.nodeId());
    this.work = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), DaemonThreads.named("ordo-work"));
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("ordo-timer"));
    // Long-polls cancel their timer when answered early; without this the cancelled tasks stay queued until due.
    timer.setRemoveOnCancelPolicy(true);
    this.timer = timer;
    this.snapshots = Executors.newSingleThreadExecutor(DaemonThreads.named("ordo-snapshot"));
    this.compaction = Executors.newSingleThreadExecutor(DaemonThreads.named("ordo-compaction"));
    this.grpcHandlers = Executors.newFixedThreadPool(config.grpcThreads(), DaemonThreads.named("ordo-grpc"));
    TlsFiles tls = config.tls();
    if (tls == null) {
      LOG.warn("node {} runs UNSECURED: its client and Raft ports take plaintext from anyone who reaches them (any"
          + " program may delete topics or send Raft messages); give --tls-cert, --tls-key and --tls-ca", config.nodeId());
    }
    this.peers = new PeerChannels(
        tls == null ? InsecureChannelCredentials.create() : tls.channelCredentials(timer, config.tlsReloadSecs()));
    this.store = DataStore.open(config.dataDir().resolve("store"), config.storeWriteBufferMb() << 20, config.storeCompression());
    this.raftLog = RaftLogStore.open(config.dataDir().resolve("raft-log"));
    this.raft =
        new RaftHost(
            new Endpoint(config.raftAddress().host(), config.raftAddress().port()),
            config.dataDir().resolve("raft"),
            raftLog,
            new RaftSettings(
                config.electionTimeoutMs(),
                config.partitionElectionTimeoutMs(),
                config.snapshotIntervalSecs(),
                config.snapshotLogIndexMargin()),
            tls == null ? null : raftPortTls(config, tls, timer));
    this.metrics = new NodeMetrics();
    raftLog.watchSyncs(metrics.raftLogSyncs());
    PendingBytes pendingBytes = new PendingBytes(config.maxPendingBytesPerNode());
    metrics.watchPendingBytes(pendingBytes);
    ParkedReads parkedReads = new ParkedReads(config.maxParkedReadsPerNode());
    metrics.watchParkedReads(parkedReads);
    ReplicaEnvironment env =
        new ReplicaEnvironment(
            System::currentTimeMillis,
            work,
            snapshots,
            config.maxEntryBytes(),
            config.maxPendingBytesPerPartition(),
            pendingBytes,
            config.maxParkedReadsPerPartition(),
            parkedReads,
            metrics.writeStages(),
            metrics.snapshots(),
            config.snapshotLogMb() * 1024L * 1024);
    this.replicas = new ReplicaManager(config.nodeId(), raft, store, env);
    List<NodeInfo> initial =
        config.initialCluster().stream()
            .map(m -> NodeInfo.newBuilder()
                .setNodeId(m.nodeId())
                .setRaftAddress(m.raftAddress().toString())
                .setClientAddress(m.clientAddress().toString())
                .build())
            .toList();
    this.metadata = new MetadataReplica(initial, System::currentTimeMillis, view -> {
      replicas.onMetadata(view);
      identity.learnClusterId(view.state().getClusterId());
      updateServing();
    });
    metrics.watchPartitions(replicas::replicas, metadata::view);
    Router router = new Router(config.nodeId(), metadata, replicas, work);
    this.inspector = new ClusterInspector(router, peers, identity, config.rack());
    this.membership = new MembershipDriver(router, inspector, peers, config.rebalanceThreshold());
    this.joins = new NodeJoins(router);
    this.groups = new GroupGrpcService(router, peers, System::currentTimeMillis);
    String everyNode = Stream.concat(config.initialCluster().stream().map(ClusterMember::clientAddress), config.join().stream())
        .map(Object::toString)
        .collect(Collectors.joining(","));
    this.deadLetters = new DeadLetterExporter(router, config.maxRecordBytes(), () -> {
      OrdoClient.Builder client = OrdoClient.builder().bootstrap(everyNode).requestTimeout(EXPORT_REQUEST_TIMEOUT);
      return (tls == null ? client : client.tls(tls.ca(), tls.cert(), tls.key())).build();
    });
    this.retention = new RetentionEnforcer(router, config.retentionMs(), config.retentionBytes(), compaction);
    CallLimiter calls = new CallLimiter(config.nodeId(), config.maxConcurrentCalls());
    metrics.watchCalls(calls::active, calls.max());
    metrics.watchStore("data", store::property);
    metrics.watchStore("raft-log", raftLog::property);
    NettyServerBuilder server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(config.clientAddress().host(), config.clientAddress().port()),
                tls == null ? InsecureServerCredentials.create() : tls.serverCredentials(timer, config.tlsReloadSecs(), false))
            .executor(CallExecutors.TRANSPORT)
            .callExecutor(new CallExecutors(grpcHandlers))
            .maxInboundMessageSize(Limits.MAX_MESSAGE_BYTES)
            .addService(new ProducerGrpcService(router, peers, config, timer, metrics.produceOutcomes()))
            .addService(new ConsumerGrpcService(router, config, work, timer))
            .addService(new AdminGrpcService(router, inspector, peers, timer))
            .addService(new NodeGrpcService(router, peers, inspector, membership, joins))
            .addService(groups)
            .addService(new QueueGrpcService(router, peers, work, timer))
            .addService(new SecurityGrpcService(router, peers))
            .addService(health.getHealthService());
    if (config.reflection()) {
      server.addService(ProtoReflectionServiceV1.newInstance()).addService(reflectionV1Alpha());
    }
    server.intercept(calls); // the last added runs first: a refused call costs nothing more
    if (config.authorization()) {
      server.intercept(new Authorization(superUsers(config, tls), () -> metadata.view().acls()));
    }
    this.gate = new StartingGate(config.nodeId(), () -> metadata.view().state().getNodesCount() > 0);
    this.server = server
        .intercept(new Authentication(config.requireAuthentication(), user -> metadata.view().user(user))) // an unauthenticated one takes no slot
        .intercept(gate) // a node without metadata knows no users
        .intercept(metrics.grpcCalls()) // and each is counted
        .build();
  }

  /**
   * Mutual TLS for the Raft port, server and client alike, with the client port's files, read again
   * as often. A peer must present a certificate the authority issued, and, where ACLs are enforced,
   * one of a super user (the nodes' own are): a client's certificate may not speak Raft.
   */
  private static RaftPortTls raftPortTls(NodeConfig config, TlsFiles tls, ScheduledExecutorService reloader) {
    Set<String> peers = superUsers(config, tls);
    Predicate<X509Certificate> allowed = config.authorization()
        ? certificate -> peers.contains("User:" + certificate.getSubjectX500Principal().getName())
        : certificate -> true;
    return new RaftPortTls(
        tls.keyManager(reloader, config.tlsReloadSecs()), tls.peerTrustManager(reloader, config.tlsReloadSecs(), allowed));
  }

  /**
   * The principals ACLs do not bind: those named by --super-users, and this node's certificate's
   * (a node passes calls it was asked on to leaders with its own certificate: it may do anything).
   */
  private static Set<String> superUsers(NodeConfig config, TlsFiles tls) {
    Set<String> superUsers = new HashSet<>(config.superUsers());
    superUsers.add("User:" + tls.subject());
    return superUsers;
  }

  /** Server reflection's first version, which older tools still ask for (as grpcurl did until 1.9). */
  @SuppressWarnings("deprecation")
  private static BindableService reflectionV1Alpha() {
    return ProtoReflectionService.newInstance();
  }

  /**
   * Starts a node: the client port (peers ask a node with a new data directory how theirs is) and
   * the Raft endpoint, the incarnation it runs as (decided with its peers if its data directory is
   * new, see {@link NewStorage}), then its metadata replica.
   */
  public static OrdoNode start(NodeConfig config) throws IOException {
    OrdoNode node = new OrdoNode(config);
    try {
      node.health.setStatus("", ServingStatus.NOT_SERVING);
      node.server.start();
      node.raft.start();
      if (!node.identity.started()) {
        node.identity.start(new NewStorage(config, node.identity, node.peers).decideIncarnation());
      }
      int incarnation = node.identity.incarnation();
      node.raft.runAs(incarnation);
      // Only incarnation 0 of an initial node forms the metadata group; any other is taken in by its leader.
      List<String> metadataPeers = incarnation == 0 && config.join().isEmpty()
          ? config.initialCluster().stream().map(ClusterMember::raftAddress).map(Object::toString).toList()
          : List.of();
      node.metadata.bind(node.raft.startMetadataGroup(METADATA_GROUP, metadataPeers, node.metadata), () -> node.raft.logWriteFailure(METADATA_GROUP));
      if (config.metricsAddress() != null) {
        node.metricsServer = MetricsServer.start(
            new InetSocketAddress(config.metricsAddress().host(), config.metricsAddress().port()), node.metrics,
            () -> node.serving);
      }
      node.health.setStatus(REPLICAS_HEALTH, ServingStatus.SERVING);
      node.started = true;
      node.updateServing();
      node.every(MEMBER_EXPIRY_INTERVAL_MS, "expiring group members", node.groups::expireMembers);
      node.every(LEASE_EXPIRY_INTERVAL_MS, "expiring queue leases", node.replicas::expireDueLeases);
      node.every(DEAD_LETTER_EXPORT_INTERVAL_MS, "exporting dead letters", node.deadLetters::exportDue);
      node.every(RETENTION_INTERVAL_MS, "applying retention", node.retention::applyDue);
      node.every(BLOB_GARBAGE_INTERVAL_MS, "collecting blob garbage", node.store::collectBlobGarbage);
      node.every(MEMBERSHIP_INTERVAL_MS, "changing the cluster's membership", node.membership::tick);
      node.every(RACK_CHECK_INTERVAL_MS, "learning the nodes' racks", node.membership::learnRacks);
      node.every(FEATURE_CHECK_INTERVAL_MS, "finalizing the feature level", node::finalizeFeatures);
      node.every(HEALTH_CHECK_INTERVAL_MS, "checking the replicas' health", node::reportHealth);
      if (config.leaderBalanceIntervalSecs() > 0) {
        node.every(TimeUnit.SECONDS.toMillis(config.leaderBalanceIntervalSecs()), "balancing leaders", node.replicas::balanceLeaders);
      }
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    } catch (InterruptedException e) {
      node.close();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while deciding how to start on a new data directory", e);
    }
    LOG.info("node {} started: clients on {}, Raft on {}{}", config.nodeId(), config.clientAddress(), config.raftAddress(),
        config.metricsAddress() == null ? "" : ", metrics on http://" + config.metricsAddress() + "/metrics");
    return node;
  }

  /**
   * Turns the node's health SERVING once it has started and its starting gate lets clients in
   * (its copy of the metadata has the cluster's nodes): not before, or a readiness probe, or a
   * test that waits for health, would send clients to a node that refuses them. Called at the
   * end of start() and on every change of the metadata, whichever comes last.
   */
  private synchronized void updateServing() {
    if (!serving && started && gate.isOpen()) {
      health.setStatus("", ServingStatus.SERVING);
      serving = true;
      LOG.info("node {} has the cluster's metadata: serving clients", config.nodeId());
    }
  }

  /**
   * Health service {@link #REPLICAS_HEALTH} turns NOT_SERVING once a replica here stopped (it
   * could not apply an entry or store its log): the node needs the cause mended and a restart,
   * which replays the log into the replica. The node's own status ("") stays SERVING, as its other
   * replicas do: a liveness probe on it must not restart a node with a full disk in a loop, nor
   * every node at once when one partition's entry fails to apply everywhere (a bug).
   */
  private void reportHealth() {
    boolean failed = metadata.failure().isPresent() || replicas.replicas().stream().anyMatch(r -> r.failure().isPresent());
    health.setStatus(REPLICAS_HEALTH, failed ? ServingStatus.NOT_SERVING : ServingStatus.SERVING);
  }

  /**
   * Runs {@code task} on the timer every {@code intervalMs}. A failure is logged and the task runs
   * again next time: an executor would silently stop a periodic task that threw once.
   */
  private void every(long intervalMs, String what, Runnable task) {
    timer.scheduleWithFixedDelay(() -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.error("{} failed; trying again in {} ms", what, intervalMs, e);
      }
    }, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
  }

  public NodeConfig config() {
    return config;
  }

  /**
   * On the metadata leader, raises the cluster's feature level once every node supports more
   * than is finalized: after a cluster's first start, and after the last node of a rolling
   * upgrade.
   */
  private void finalizeFeatures() {
    int finalized = metadata.view().state().getFinalizedFeatureLevel();
    if (!metadata.isLeader() || finalized >= FeatureLevel.SUPPORTED) {
      return;
    }
    inspector.featureLevelOfEveryNode().thenAccept(everyNode -> {
      if (everyNode.isPresent() && everyNode.getAsInt() > finalized) {
        finalizeFeatures(everyNode.getAsInt());
      }
    });
  }

  private void finalizeFeatures(int level) {
    metadata.propose(
        MetadataCommand.newBuilder().setFinalizeFeatures(FinalizeFeatures.newBuilder().setLevel(level)).build(),
        new MetadataReplica.Callback() {
          @Override
          public void onApplied(MetadataResult result) {
            LOG.info("cluster feature level finalized at {}", level);
          }

          @Override
          public void onFailed(ReplicaError error) {
            LOG.warn("finalizing feature level {} failed: {}", level, error.message());
          }
        });
  }

  /**
   * Stops gracefully: hands leadership of every group this node leads to another replica first,
   * so clients see a quick leader change rather than an election timeout.
   */
  @Override
  public void close() {
    health.enterTerminalState();
    replicas.transferLeadershipAway();
    metadata.transferLeadership(PeerId.ANY_PEER);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HANDOVER_WAIT_MS);
    while (System.nanoTime() < deadline && (metadata.isLeader() || replicas.replicas().stream().anyMatch(r -> r.isLeader()))) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    server.shutdown();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.shutdownNow();
    if (metricsServer != null) {
      metricsServer.close();
    }
    deadLetters.close();
    replicas.close();
    raft.close();
    peers.close();
    grpcHandlers.shutdownNow();
    work.shutdownNow();
    snapshots.shutdownNow();
    compaction.shutdownNow();
    timer.shutdownNow();
    // A snapshot being written, a compaction pass being planned or a timer's task (blob garbage
    // collection reads the store's properties) still uses the store: closing it under them would crash.
    awaitTermination(timer);
    awaitTermination(work);
    awaitTermination(snapshots);
    awaitTermination(compaction);
    raftLog.close();
    store.close();
    metrics.close();
    LOG.info("node {} stopped", config.nodeId());
  }

  private static void awaitTermination(ExecutorService executor) {
    try {
      if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("tasks still running after 30 s; closing the stores anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
