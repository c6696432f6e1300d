package io.ordo.it.cluster;

import io.ordo.client.OrdoClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * A cluster whose nodes a nemesis can hurt: crash, freeze, cut off from each other, and heal.
 * Node ids are 1..size(). Every fault is undone by {@link #heal()} except crashes and wipes, which
 * {@link #start(int)} undoes.
 */
public interface FaultableCluster extends AutoCloseable {
  int size();

  /** Client addresses (host:port) of every node, comma separated, reachable from this JVM. */
  String bootstrap();

  /** A client of the cluster, with what it takes to be let in (a secured cluster's certificates). */
  default OrdoClient.Builder clientBuilder() {
    return OrdoClient.builder().bootstrap(bootstrap());
  }

  /** SIGKILL node {@code node}'s process: no flush, no hand-over. No-op if it is not running. */
  void kill(int node);

  /** Starts node {@code node}'s process again, with its data as the crash left it. */
  void start(int node);

  /**
   * Waits until node {@code node} answers its gRPC health check SERVING (it has its metadata and
   * serves clients), for at most {@code atMost}; false if it did not.
   */
  boolean awaitServing(int node, Duration atMost);

  /**
   * Starts node {@code node}'s process again with its wall clock {@code offset} off the true time
   * (its monotonic clocks are left alone), until it is next killed and started.
   */
  void startWithClockOffset(int node, Duration offset);

  boolean isRunning(int node);

  /** Freezes every process of the node (SIGSTOP / docker pause) until {@link #resume}. */
  void pause(int node);

  void resume(int node);

  /**
   * Drops all traffic, both ways, between every node of {@code sideA} and every node of {@code
   * sideB}. Nodes in neither side still reach both (a bridge). Adds to faults already in place.
   */
  void partition(Set<Integer> sideA, Set<Integer> sideB);

  /** Drops each packet {@code node} receives with probability {@code probability}. */
  void lossy(int node, double probability);

  /**
   * Throttles the links between {@code node} and every other node, both ways, to {@code
   * kbitPerSecond}: packets queue behind the throttle for up to {@code maxDelay} and are dropped
   * beyond it, as on a congested slow link.
   */
  void slow(int node, int kbitPerSecond, Duration maxDelay);

  /** Removes every network fault and resumes every paused node. Crashed nodes stay down. */
  void heal();

  /** Deletes a killed node's data, so it restarts as an empty replica. */
  void wipe(int node);

  /** Where node logs are (or are copied to on {@link #close()}). */
  Path logDirectory();

  @Override
  void close();
}
