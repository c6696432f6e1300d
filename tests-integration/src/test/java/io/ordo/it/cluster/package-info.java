/**
 * The test harness: clusters of real {@code ordo-node} processes, on 127.0.0.1 ({@link
 * io.ordo.it.cluster.ProcessCluster}) or in Docker containers on a private network the test
 * creates ({@link io.ordo.it.cluster.DockerCluster}, which can also partition, freeze and slow
 * nodes). Nodes are killed with SIGKILL or stopped with SIGTERM by PID; data is wiped on demand.
 */
package io.ordo.it.cluster;
