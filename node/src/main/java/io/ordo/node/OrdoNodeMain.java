package io.ordo.node;

import io.ordo.node.config.ClusterMember;
import io.ordo.node.config.HostPort;
import io.ordo.node.config.NodeConfig;
import io.ordo.node.config.SettingsSource;
import io.ordo.protocol.TlsFiles;
import io.ordo.raft.storage.DataStore;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ordo-node}: runs one Ordo node until SIGTERM or SIGINT, then stops it gracefully. */
@Command(
    name = "ordo-node",
    mixinStandardHelpOptions = true,
    version = "ordo-node 0.1.0",
    description = {
      "Runs one node of an Ordo cluster.",
      "",
      "Every option can also come from the environment (--node-id as ORDO_NODE_ID) or from a",
      "properties file given with --config or ORDO_CONFIG (node-id=1). Flags win, then the",
      "environment, then the file."
    })
public final class OrdoNodeMain implements Callable<Integer> {
  @Option(names = "--config", description = "Properties file with option values.")
  Path configFile;

  @Option(names = "--node-id", required = true, description = "This node's id, a positive integer unique in the cluster.")
  int nodeId;

  @Option(names = "--data-dir", required = true, description = "Directory for this node's data.")
  Path dataDir;

  @Option(names = "--client-addr", required = true, description = "host:port to serve gRPC clients on.")
  String clientAddress;

  @Option(names = "--raft-addr", required = true, description = "host:port for Raft traffic between nodes.")
  String raftAddress;

  @Option(
      names = "--initial-cluster",
      description = "Every node of the initial cluster: ID=RAFT_HOST:PORT/CLIENT_HOST:PORT[,...]. A node of the"
          + " cluster's first start gives this, and keeps giving it at every start.")
  String initialCluster;

  @Option(
      names = "--join",
      paramLabel = "HOST:PORT[,...]",
      description = "Client addresses of running nodes: this node joins their cluster (it is registered and gets"
          + " the cluster's metadata; 'ordo topic reassign' then moves partitions to it). Instead of"
          + " --initial-cluster, at every start.")
  String join;

  @Option(names = "--election-timeout-ms", defaultValue = "2000", description = "The metadata group's Raft election timeout (default ${DEFAULT-VALUE}).")
  int electionTimeoutMs;

  @Option(
      names = "--partition-election-timeout-ms",
      defaultValue = "2000",
      description = "Each partition's Raft election timeout: how long a partition waits for a new leader when its leader dies; its leader heartbeats four times per timeout, a cost per partition (default ${DEFAULT-VALUE}).")
  int partitionElectionTimeoutMs;

  @Option(names = "--snapshot-interval-secs", defaultValue = "600", description = "How often each Raft group snapshots (default ${DEFAULT-VALUE}).")
  int snapshotIntervalSecs;

  @Option(names = "--snapshot-log-index-margin", defaultValue = "1000", description = "Entries applied since the last snapshot before another is taken (default ${DEFAULT-VALUE}).")
  int snapshotLogIndexMargin;

  @Option(
      names = "--snapshot-log-mb",
      defaultValue = "512",
      description = "A partition's replica also snapshots once it has applied this many MiB of log since its last snapshot (and at least --snapshot-log-index-margin entries): a Raft group keeps its log from the snapshot before last, so under steady writes the interval alone kept twice its length of writes on disk. A replica that falls further behind than the log reaches is sent a copy of the partition instead (default ${DEFAULT-VALUE}).")
  int snapshotLogMb;

  @Option(
      names = "--store-write-buffer-mb",
      defaultValue = "64",
      description = "Size of each write buffer (memtable) of the node's data store: the store skips RocksDB's write-ahead log (the Raft log is one), so a crash loses at most these and the node re-applies them from the Raft log at its start (default ${DEFAULT-VALUE}).")
  int storeWriteBufferMb;

  @Option(
      names = "--store-compression",
      paramLabel = "none|lz4",
      defaultValue = "none",
      description = "How the data store compresses record batches as it flushes them: none (as written, like Kafka with producers that do not compress) or lz4 (fewer bytes on disk for records that compress, for CPU on every write and read). Either reads what the other wrote (default ${DEFAULT-VALUE}).")
  DataStore.Compression storeCompression;

  @Option(names = "--max-record-bytes", defaultValue = "1048576", description = "Largest record accepted (default ${DEFAULT-VALUE}).")
  int maxRecordBytes;

  @Option(names = "--max-batch-bytes", defaultValue = "16777216", description = "Largest produce request accepted (default ${DEFAULT-VALUE}).")
  int maxBatchBytes;

  @Option(names = "--max-entry-bytes", defaultValue = "4194304", description = "Most bytes of records packed into one Raft entry (default ${DEFAULT-VALUE}).")
  int maxEntryBytes;

  @Option(names = "--max-pending-bytes-per-partition", defaultValue = "67108864", description = "Bytes a partition leader queues for commit before refusing more (default ${DEFAULT-VALUE}).")
  long maxPendingBytes;

  @Option(names = "--max-pending-bytes", description = "Bytes all partitions this node leads queue for commit together before refusing more (default: a quarter of the JVM's maximum heap, and at least --max-batch-bytes).")
  Long maxPendingBytesPerNode;

  @Option(names = "--max-fetch-records", defaultValue = "10000", description = "Cap on records per fetch (default ${DEFAULT-VALUE}).")
  int maxFetchRecords;

  @Option(names = "--max-fetch-bytes", defaultValue = "16777216", description = "Cap on bytes per fetch (default ${DEFAULT-VALUE}).")
  int maxFetchBytes;

  @Option(names = "--max-fetch-wait-ms", defaultValue = "30000", description = "Cap on a long-poll's wait (default ${DEFAULT-VALUE}).")
  int maxFetchWaitMs;

  @Option(names = "--max-parked-reads-per-partition", defaultValue = "1000", description = "Long-polls and caught-up subscriptions a partition leader keeps waiting for new records; past it a fetch answers at once with what there is and a subscription ends OVERLOADED (default ${DEFAULT-VALUE}).")
  int maxParkedReadsPerPartition;

  @Option(names = "--max-parked-reads", defaultValue = "10000", description = "The same for all of the node's partitions together (default ${DEFAULT-VALUE}).")
  int maxParkedReadsPerNode;

  @Option(names = "--grpc-threads", defaultValue = "16", description = "Threads that run the client port's call handlers, but for produce calls without a password, which run on the thread that read them (default ${DEFAULT-VALUE}).")
  int grpcThreads;

  @Option(names = "--max-concurrent-calls", defaultValue = "20000", description = "Calls the client port serves at once, streams included; past it a call is refused OVERLOADED and the client retries with back-off (default ${DEFAULT-VALUE}).")
  int maxConcurrentCalls;

  @Option(names = "--leader-balance-interval-secs", defaultValue = "30", description = "How often leadership moves back to each partition's preferred replica; 0 turns it off (default ${DEFAULT-VALUE}).")
  int leaderBalanceIntervalSecs;

  @Option(names = "--retention-ms", defaultValue = "-1", description = "retention.ms of topics that do not set it: records appended longer ago are deleted; -1 keeps them forever (default ${DEFAULT-VALUE}).")
  long retentionMs;

  @Option(names = "--retention-bytes", defaultValue = "-1", description = "retention.bytes of topics that do not set it: a partition's oldest records are deleted while it stores more; -1 for no bound (default ${DEFAULT-VALUE}).")
  long retentionBytes;

  @Option(names = "--rebalance-threshold", defaultValue = "2", description = "Replicas move one at a time, from the node holding the most to the one holding the fewest, while their counts differ by more than this (after a node joins, or after moves by hand); 0 turns it off (default ${DEFAULT-VALUE}).")
  int rebalanceThreshold;

  @Option(names = "--rack", defaultValue = "", description = "Where this node runs (a rack, zone or host): a partition's replicas go to distinct racks where there are enough (default: none).")
  String rack;

  @Option(names = "--metrics-addr", description = "host:port to serve Prometheus metrics on, at /metrics (default: none).")
  String metricsAddress;

  @Option(names = "--tls-cert", paramLabel = "FILE", description = "This node's certificate chain (PEM, leaf first): TLS on the client and Raft ports and between nodes; give --tls-key and --tls-ca with it (default: none, plaintext).")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "The certificate's private key (PKCS#8 PEM), readable by its owner only.")
  Path tlsKey;

  @Option(names = "--tls-ca", paramLabel = "FILE", description = "The authority (PEM) that issued every node's certificate: a Raft peer must present one it issued, and clients' certificates are checked against it.")
  Path tlsCa;

  @Option(names = "--require-authentication", arity = "0..1", defaultValue = "false", fallbackValue = "true", description = "Refuse every call but health checks that does not come with a client certificate the authority (--tls-ca) issued: UNAUTHENTICATED, saying so. Needs TLS (default ${DEFAULT-VALUE}).")
  boolean requireAuthentication;

  @Option(names = "--authorization", arity = "0..1", defaultValue = "false", fallbackValue = "true", description = "Allow each call only as the ACLs say (ordo acl add): PERMISSION_DENIED naming the operation and resource otherwise. Needs --require-authentication (default ${DEFAULT-VALUE}).")
  boolean authorization;

  @Option(names = "--super-users", paramLabel = "PRINCIPAL[;...]", description = "Principals allowed everything whatever the ACLs say, separated by ';' (User:NAME for a user, User:SUBJECT for a certificate, e.g. 'User:CN=admin,O=ops'). The node's own certificate subject is one, so nodes sharing a certificate can call each other; with a certificate per node, list every node's subject.")
  String superUsers;

  @Option(names = "--reflection", defaultValue = "auto", paramLabel = "auto|on|off", description = "Serve gRPC server reflection (v1 and v1alpha) on the client port: auto serves it only without TLS (default ${DEFAULT-VALUE}).")
  String reflection;

  @Option(names = "--tls-reload-secs", defaultValue = "60", description = "How often the TLS files are read again, so a replaced certificate takes effect without a restart (default ${DEFAULT-VALUE}).")
  int tlsReloadSecs;

  NodeConfig toConfig() {
    return new NodeConfig(
        nodeId,
        dataDir,
        HostPort.parse(clientAddress),
        HostPort.parse(raftAddress),
        initialCluster == null ? List.of() : ClusterMember.parseList(initialCluster),
        join == null ? List.of() : Arrays.stream(join.split(",")).map(String::trim).map(HostPort::parse).toList(),
        electionTimeoutMs,
        partitionElectionTimeoutMs,
        snapshotIntervalSecs,
        snapshotLogIndexMargin,
        snapshotLogMb,
        storeWriteBufferMb,
        storeCompression,
        maxRecordBytes,
        maxBatchBytes,
        maxEntryBytes,
        maxPendingBytes,
        maxPendingBytesPerNode != null ? maxPendingBytesPerNode : Math.max(Runtime.getRuntime().maxMemory() / 4, maxBatchBytes),
        maxFetchRecords,
        maxFetchBytes,
        maxFetchWaitMs,
        maxParkedReadsPerPartition,
        maxParkedReadsPerNode,
        grpcThreads,
        maxConcurrentCalls,
        leaderBalanceIntervalSecs,
        retentionMs,
        retentionBytes,
        rebalanceThreshold,
        rack,
        metricsAddress == null ? null : HostPort.parse(metricsAddress),
        tls(),
        tlsReloadSecs,
        requireAuthentication,
        authorization,
        superUsers == null ? List.of() : Arrays.stream(superUsers.split(";")).map(String::trim).filter(u -> !u.isEmpty()).toList(),
        switch (reflection) {
          case "auto" -> tlsCert == null;
          case "on" -> true;
          case "off" -> false;
          default -> throw new IllegalArgumentException("--reflection is auto, on or off, not '" + reflection + "'");
        });
  }

  /** The TLS files given, checked; null if none. */
  private TlsFiles tls() {
    if (tlsCert == null && tlsKey == null && tlsCa == null) {
      return null;
    }
    if (tlsCert == null || tlsKey == null || tlsCa == null) {
      throw new IllegalArgumentException("TLS needs all of --tls-cert, --tls-key and --tls-ca");
    }
    TlsFiles files = new TlsFiles(tlsCa, tlsCert, tlsKey);
    files.check();
    return files;
  }

  @Override
  public Integer call() throws Exception {
    NodeConfig config;
    try {
      config = toConfig();
    } catch (IllegalArgumentException e) {
      System.err.println("ordo-node: " + e.getMessage());
      return 2;
    }
    OrdoNode node = OrdoNode.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }, "ordo-shutdown"));
    stopped.await();
    return 0;
  }

  /** The command line that fills {@code main}'s options, from flags first, then {@code settings}. */
  static CommandLine commandLine(OrdoNodeMain main, SettingsSource settings) {
    return new CommandLine(main).setCaseInsensitiveEnumValuesAllowed(true).setDefaultValueProvider(settings);
  }

  public static void main(String[] args) {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "ordo-node-log4j2.xml");
    }
    String logFormat = System.getenv().getOrDefault("ORDO_LOG_FORMAT", "text");
    if (!logFormat.equals("text") && !logFormat.equals("json")) {
      System.err.println("ordo-node: ORDO_LOG_FORMAT is '" + logFormat + "'; use text or json");
      System.exit(2);
    }
    System.setProperty("ordo.log.format", logFormat);
    // Netty's leak detector records a stack trace for one buffer in 128: 1-2% of a node's CPU when
    // reading at full speed. A node's buffers are gRPC's and Bolt's own; set either to turn it on.
    for (String leakDetection : List.of("io.grpc.netty.shaded.io.netty.leakDetection.level", "io.netty.leakDetection.level")) {
      if (System.getProperty(leakDetection) == null) {
        System.setProperty(leakDetection, "disabled");
      }
    }
    // Our shutdown hook logs the graceful stop; log4j's own hook would race it and drop the lines.
    System.setProperty("log4j.shutdownHookEnabled", "false");
    var env = System.getenv();
    int exit;
    try {
      exit = commandLine(new OrdoNodeMain(), new SettingsSource(env, SettingsSource.load(SettingsSource.configPath(args, env))))
          .execute(args);
    } catch (IllegalArgumentException e) {
      System.err.println("ordo-node: " + e.getMessage());
      exit = 2;
    }
    System.exit(exit);
  }
}
