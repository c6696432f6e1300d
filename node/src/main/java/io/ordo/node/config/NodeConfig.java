package io.ordo.node.config;

import io.ordo.proto.raft.v1.TopicConfig;
import io.ordo.protocol.Limits;
import io.ordo.protocol.TlsFiles;
import io.ordo.raft.metadata.TopicConfigs;
import io.ordo.raft.storage.DataStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything a node is configured with.
 *
 * @param initialCluster every node of the cluster's first start, this one among them; empty for a
 *     node that joins a running cluster
 * @param join client addresses of running nodes, for a node that joins their cluster; empty for a
 *     node of the initial cluster
 * @param electionTimeoutMs the metadata group's Raft election timeout
 * @param partitionElectionTimeoutMs each partition's: how long a partition goes without a leader
 *     when its leader dies; its leader heartbeats four times per timeout
 * @param snapshotLogMb MiB of log a partition's replica applies before it snapshots (see
 *     ReplicaEnvironment#snapshotLogBytes)
 * @param storeWriteBufferMb size of each of the data store's RocksDB write buffers (memtables): most
 *     of what a crash of the node loses from the store, to re-apply from the Raft log at its start
 * @param storeCompression how the data store compresses record batches as it flushes them
 * @param maxRecordBytes largest record (key + value + headers) a producer may send
 * @param maxBatchBytes largest produce request, all records together
 * @param maxEntryBytes most records' bytes the leader packs into one Raft entry
 * @param maxPendingBytesPerPartition bytes a partition leader holds waiting for commit before it
 *     refuses more as OVERLOADED
 * @param maxPendingBytesPerNode the same for all the partitions the node leads, together
 * @param maxFetchRecords cap on records per fetch response
 * @param maxFetchBytes cap on bytes per fetch response
 * @param maxFetchWaitMs cap on a long-poll's wait
 * @param maxParkedReadsPerPartition long-polls and caught-up subscriptions one partition leader keeps
 *     waiting for its next append; past it a fetch answers at once and a subscription ends OVERLOADED
 * @param maxParkedReadsPerNode the same for all the node's partitions together
 * @param grpcThreads threads that run the client port's call handlers (they never block: they
 *     hand work to Raft and answer from callbacks)
 * @param maxConcurrentCalls calls the client port serves at once, streams included; past it a call
 *     is refused OVERLOADED
 * @param leaderBalanceIntervalSecs how often leadership moves back to preferred leaders; 0: never
 * @param retentionMs retention.ms of topics that do not set it: -1 keeps records forever
 * @param retentionBytes retention.bytes of topics that do not set it: -1 for no bound
 * @param rebalanceThreshold how far apart the nodes' replica counts may be before the metadata
 *     leader moves replicas to even them out (after a node joined, or moves by hand); 0: never
 * @param rack where the node runs (a rack, zone or host), for rack-aware placement; empty if not given
 * @param metricsAddress where to serve Prometheus metrics over HTTP; null: nowhere
 * @param tls the node's certificate, key and the authority it trusts: TLS on the client port, on
 *     calls to other nodes and on the Raft port (where peers must present a certificate the
 *     authority issued); null: everything in plaintext (a loud warning in the log)
 * @param tlsReloadSecs how often the TLS files are read again, so replaced certificates take effect
 * @param requireAuthentication whether every call but health checks must come authenticated (a
 *     client certificate the authority issued); needs TLS
 * @param authorization whether calls are checked against the ACLs; needs requireAuthentication
 * @param superUsers principals allowed everything whatever the ACLs say ({@code User:...})
 * @param reflection whether the client port serves gRPC server reflection
 */
public record NodeConfig(
    int nodeId,
    Path dataDir,
    HostPort clientAddress,
    HostPort raftAddress,
    List<ClusterMember> initialCluster,
    List<HostPort> join,
    int electionTimeoutMs,
    int partitionElectionTimeoutMs,
    int snapshotIntervalSecs,
    int snapshotLogIndexMargin,
    int snapshotLogMb,
    int storeWriteBufferMb,
    DataStore.Compression storeCompression,
    int maxRecordBytes,
    int maxBatchBytes,
    int maxEntryBytes,
    long maxPendingBytesPerPartition,
    long maxPendingBytesPerNode,
    int maxFetchRecords,
    int maxFetchBytes,
    int maxFetchWaitMs,
    int maxParkedReadsPerPartition,
    int maxParkedReadsPerNode,
    int grpcThreads,
    int maxConcurrentCalls,
    int leaderBalanceIntervalSecs,
    long retentionMs,
    long retentionBytes,
    int rebalanceThreshold,
    String rack,
    HostPort metricsAddress,
    TlsFiles tls,
    int tlsReloadSecs,
    boolean requireAuthentication,
    boolean authorization,
    List<String> superUsers,
    boolean reflection) {

  public static final int DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
  public static final int DEFAULT_MAX_BATCH_BYTES = 16 * 1024 * 1024;
  /** Room in a gRPC message beside its batches' bytes: the answer's other fields and each batch's framing. */
  private static final int FRAMING_BYTES = 1024 * 1024;

  public NodeConfig {
    initialCluster = List.copyOf(initialCluster);
    join = List.copyOf(join);
    superUsers = List.copyOf(superUsers);
    Objects.requireNonNull(storeCompression, "storeCompression");
    if (initialCluster.isEmpty() == join.isEmpty()) {
      throw new IllegalArgumentException(
          "give either the initial cluster (a node of the cluster's first start) or nodes to join (a node added later), not "
              + (join.isEmpty() ? "neither" : "both"));
    }
    if (!initialCluster.isEmpty() && initialCluster.stream().noneMatch(m -> m.nodeId() == nodeId)) {
      throw new IllegalArgumentException("node " + nodeId + " is not in the initial cluster " + initialCluster);
    }
    if (maxRecordBytes <= 0 || maxBatchBytes < maxRecordBytes) {
      throw new IllegalArgumentException("max batch bytes must be at least max record bytes");
    }
    if (maxFetchRecords < 1 || maxFetchBytes < 1) {
      throw new IllegalArgumentException("max fetch records and bytes must be at least 1");
    }
    if ((long) maxFetchBytes + maxBatchBytes > Limits.MAX_MESSAGE_BYTES - FRAMING_BYTES) {
      // A fetch answer holds whole batches up to the one that reaches max fetch bytes.
      throw new IllegalArgumentException("max fetch bytes (" + maxFetchBytes + ") and max batch bytes (" + maxBatchBytes
          + ") together must stay below " + (Limits.MAX_MESSAGE_BYTES - FRAMING_BYTES) + ", the largest message a client accepts");
    }
    if (snapshotLogMb < 1) {
      throw new IllegalArgumentException("--snapshot-log-mb must be at least 1");
    }
    if (storeWriteBufferMb < 1) {
      throw new IllegalArgumentException("--store-write-buffer-mb must be at least 1");
    }
    if (maxPendingBytesPerPartition < 1) {
      throw new IllegalArgumentException("max pending bytes per partition must be at least 1");
    }
    if (maxPendingBytesPerNode < maxBatchBytes) {
      // A partition takes a request larger than its own bound when it holds nothing else; the
      // node's bound must hold the largest request, or that request could never be taken.
      throw new IllegalArgumentException("max pending bytes (" + maxPendingBytesPerNode
          + ") must be at least max batch bytes (" + maxBatchBytes + ")");
    }
    if (maxParkedReadsPerPartition < 1 || maxParkedReadsPerNode < 1) {
      throw new IllegalArgumentException("max parked reads, per partition and per node, must be at least 1");
    }
    if (grpcThreads < 1 || maxConcurrentCalls < 1) {
      throw new IllegalArgumentException("gRPC threads and max concurrent calls must be at least 1");
    }
    if (rebalanceThreshold < 0) {
      throw new IllegalArgumentException("the rebalance threshold must be 0 (off) or more");
    }
    if (tls != null && !tls.hasIdentity()) {
      throw new IllegalArgumentException("TLS needs the node's certificate and key (--tls-cert, --tls-key) with --tls-ca");
    }
    if (requireAuthentication && tls == null) {
      throw new IllegalArgumentException("--require-authentication needs TLS: clients authenticate with certificates"
          + " (give --tls-cert, --tls-key and --tls-ca)");
    }
    if (authorization && !requireAuthentication) {
      throw new IllegalArgumentException("--authorization needs --require-authentication: ACLs name authenticated principals");
    }
    for (String user : superUsers) {
      if (!user.startsWith("User:") || user.length() == "User:".length()) {
        throw new IllegalArgumentException("--super-users: '" + user + "' is not a principal (User:NAME or User:SUBJECT)");
      }
    }
    if (tlsReloadSecs < 1) {
      throw new IllegalArgumentException("--tls-reload-secs must be at least 1");
    }
    String defaults = TopicConfigs.problem(TopicConfig.newBuilder().setRetentionMs(retentionMs).setRetentionBytes(retentionBytes).build());
    if (defaults != null) {
      throw new IllegalArgumentException("the nodes' default " + defaults);
    }
  }
}
