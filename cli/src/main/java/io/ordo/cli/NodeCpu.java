package io.ordo.cli;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * CPU time the Ordo nodes on this host have used (the OS's count, /proc on Linux), so a benchmark
 * can say what a workload cost the nodes beside how fast it went. Only nodes on the benchmark's
 * own host are seen: against a remote cluster nothing is reported.
 */
final class NodeCpu {
  private static final String NODE_MAIN = "io.ordo.node.OrdoNodeMain";

  /** CPU time so far, by node process id. */
  private final Map<Long, Duration> byPid;

  private NodeCpu(Map<Long, Duration> byPid) {
    this.byPid = byPid;
  }

  /** The CPU time of every local node process now. */
  static NodeCpu sample() {
    return new NodeCpu(ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(NODE_MAIN)).orElse(false))
        .filter(p -> p.info().totalCpuDuration().isPresent())
        .collect(Collectors.toMap(ProcessHandle::pid, p -> p.info().totalCpuDuration().orElseThrow())));
  }

  /** Nodes seen both then and now. */
  int nodesSince(NodeCpu then) {
    return (int) byPid.keySet().stream().filter(then.byPid::containsKey).count();
  }

  /** CPU seconds the nodes seen both then and now used in between. */
  double secondsSince(NodeCpu then) {
    return byPid.entrySet().stream()
        .filter(e -> then.byPid.containsKey(e.getKey()))
        .mapToLong(e -> e.getValue().minus(then.byPid.get(e.getKey())).toNanos())
        .sum() / 1e9;
  }

  /** A line for a person: the nodes' CPU seconds in all and per 100,000 records; empty if no local node was seen. */
  Optional<String> describeSince(NodeCpu then, long records) {
    int nodes = nodesSince(then);
    if (nodes == 0 || records == 0) {
      return Optional.empty();
    }
    double seconds = secondsSince(then);
    return Optional.of(String.format("node CPU: %.1f s on %d local nodes, %.2f s per 100,000 records", seconds, nodes,
        seconds * 100_000 / records));
  }

  /** Adds the CPU fields to {@code json}, if any local node was seen. */
  JsonWriter addSince(JsonWriter json, NodeCpu then, long records) {
    int nodes = nodesSince(then);
    if (nodes == 0 || records == 0) {
      return json;
    }
    double seconds = secondsSince(then);
    return json.field("localNodes", nodes)
        .field("nodeCpuSeconds", seconds)
        .field("nodeCpuSecondsPer100kRecords", seconds * 100_000 / records);
  }
}
