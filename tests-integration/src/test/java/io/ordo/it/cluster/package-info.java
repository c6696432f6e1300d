/**
 * The test harness: clusters of real {@code ordo-node} processes on 127.0.0.1, started with this
 * JVM's class path, killed with SIGKILL or stopped with SIGTERM by PID, their data wiped on demand.
 */
package io.ordo.it.cluster;
