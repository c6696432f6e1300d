package io.ordo.it.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A cluster of {@code ordo-node} processes on loopback. Each node has its own data directory and
 * log file under the cluster's directory. Everything it starts it stops by PID on {@link #close}.
 * Loopback cannot be partitioned: network faults need {@code DockerCluster}.
 */
public final class ProcessCluster implements AutoCloseable {
  /** Nodes a test may add to the initial ones with {@link #join()}. */
  private static final int MAX_JOINED_NODES = 2;

  private final Path dir;
  private final int initialSize;
  /** The initial nodes and those that joined since. */
  private int size;
  private final Map<String, String> extraOptions;
  private final Map<String, String> environment;
  private final int[] clientPorts;
  private final int[] raftPorts;
  private final int[] metricsPorts;
  private final Process[] processes;

  private ProcessCluster(Path dir, int size, Map<String, String> extraOptions, Map<String, String> environment) {
    this.dir = dir;
    this.initialSize = size;
    this.size = size;
    this.extraOptions = extraOptions;
    this.environment = environment;
    this.clientPorts = new int[size + 1 + MAX_JOINED_NODES];
    this.raftPorts = new int[size + 1 + MAX_JOINED_NODES];
    this.metricsPorts = new int[size + 1 + MAX_JOINED_NODES];
    this.processes = new Process[size + 1 + MAX_JOINED_NODES];
    for (int i = 1; i <= size; i++) {
      allocatePorts(i);
    }
  }

  private void allocatePorts(int node) {
    clientPorts[node] = LoopbackPorts.free();
    raftPorts[node] = LoopbackPorts.free();
    metricsPorts[node] = LoopbackPorts.free();
  }

  /** Starts one more node, id {@code size() + 1}, that joins the running cluster (--join); returns its id. */
  public synchronized int join() {
    if (size == initialSize + MAX_JOINED_NODES) {
      throw new IllegalStateException("at most " + MAX_JOINED_NODES + " nodes join a test's cluster");
    }
    int node = ++size;
    allocatePorts(node);
    start(node);
    return node;
  }

  /** In an option's value, stands for the node's id: {@code --rack r{id}} gives each node a rack of its own. */
  public static final String NODE_ID = "{id}";

  /** Starts {@code size} nodes with ids 1..size; {@code extraOptions} are ordo-node flags. */
  public static ProcessCluster start(Path dir, int size, Map<String, String> extraOptions) {
    return start(dir, size, extraOptions, Map.of());
  }

  /** As {@link #start(Path, int, Map)}, the nodes' environment with {@code environment} added. */
  public static ProcessCluster start(Path dir, int size, Map<String, String> extraOptions, Map<String, String> environment) {
    ProcessCluster cluster = new ProcessCluster(dir, size, extraOptions, environment);
    for (int i = 1; i <= size; i++) {
      cluster.start(i);
    }
    return cluster;
  }

  /** An empty directory for a cluster's data and logs: target/clusters/NAME, kept after the run. */
  public static Path freshDirectory(String name) {
    Path dir = Path.of("target", "clusters", name).toAbsolutePath();
    deleteRecursively(dir);
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The initial nodes and those that joined since. */
  public synchronized int size() {
    return size;
  }

  /** host:port of every initial node's client endpoint, comma separated. */
  public String bootstrap() {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= initialSize; i++) {
      out.add(clientAddress(i));
    }
    return String.join(",", out);
  }

  public String clientAddress(int node) {
    return "127.0.0.1:" + clientPorts[node];
  }

  /** host:port of node {@code node}'s Raft (SOFABolt) endpoint. */
  public String raftAddress(int node) {
    return "127.0.0.1:" + raftPorts[node];
  }

  /** Where node {@code node} serves Prometheus metrics: http://(this)/metrics. */
  public String metricsAddress(int node) {
    return "127.0.0.1:" + metricsPorts[node];
  }

  public Path dataDir(int node) {
    return dir.resolve("node-" + node);
  }

  public Path logFile(int node) {
    return dir.resolve("node-" + node + ".log");
  }

  public boolean isRunning(int node) {
    return processes[node] != null && processes[node].isAlive();
  }

  /** Starts node {@code node} (again), on the same ports and data directory. */
  public void start(int node) {
    if (isRunning(node)) {
      throw new IllegalStateException("node " + node + " is running");
    }
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xms64m");
    command.add("-Xmx384m");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.ordo.node.OrdoNodeMain");
    command.addAll(List.of("--node-id", String.valueOf(node)));
    command.addAll(List.of("--data-dir", dataDir(node).toString()));
    command.addAll(List.of("--client-addr", clientAddress(node)));
    command.addAll(List.of("--raft-addr", "127.0.0.1:" + raftPorts[node]));
    command.addAll(List.of("--metrics-addr", metricsAddress(node)));
    if (node <= initialSize) {
      command.addAll(List.of("--initial-cluster", initialCluster()));
    } else {
      command.addAll(List.of("--join", bootstrap()));
    }
    extraOptions.forEach((k, v) -> command.addAll(List.of(k, v.replace(NODE_ID, String.valueOf(node)))));
    try {
      Files.createDirectories(dir);
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(node).toFile()));
      builder.environment().putAll(environment);
      processes[node] = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node " + node, e);
    }
  }

  /** SIGKILL: the node gets no chance to hand anything over or flush anything. */
  public void kill(int node) {
    Process p = processes[node];
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    waitFor(p, node);
    processes[node] = null;
  }

  /** SIGTERM: the node hands its leaderships over and stops. */
  public void stop(int node) {
    Process p = processes[node];
    if (p == null) {
      return;
    }
    p.destroy();
    waitFor(p, node);
    processes[node] = null;
  }

  /** Deletes a stopped node's data: it comes back as a new incarnation, rejoining each group it is placed in. */
  public void wipe(int node) {
    if (isRunning(node)) {
      throw new IllegalStateException("stop node " + node + " before wiping it");
    }
    deleteRecursively(dataDir(node));
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void waitFor(Process p, int node) {
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("node " + node + " did not stop within 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String initialCluster() {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= initialSize; i++) {
      out.add(i + "=" + raftAddress(i) + "/" + clientAddress(i));
    }
    return out.stream().collect(Collectors.joining(","));
  }


  @Override
  public void close() {
    for (int i = 1; i <= size; i++) {
      kill(i);
    }
  }
}
