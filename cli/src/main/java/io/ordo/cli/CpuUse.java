package io.ordo.cli;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * CPU time the Ordo nodes on this host and this benchmark's own process have used (the OS's
 * count, /proc on Linux), so a benchmark can say what a workload cost the nodes and the client
 * beside how fast it went. Only nodes on the benchmark's own host are seen: against a remote
 * cluster only the client's is reported.
 */
final class CpuUse {
  private static final String NODE_MAIN = "io.ordo.node.OrdoNodeMain";

  /** CPU time so far, by node process id. */
  private final Map<Long, Duration> nodesByPid;
  private final Duration client;

  private CpuUse(Map<Long, Duration> nodesByPid, Duration client) {
    this.nodesByPid = nodesByPid;
    this.client = client;
  }

  /** The CPU time of every local node process, and of this one, now. */
  static CpuUse sample() {
    return new CpuUse(
        ProcessHandle.allProcesses()
            .filter(p -> p.info().commandLine().map(c -> c.contains(NODE_MAIN)).orElse(false))
            .filter(p -> p.info().totalCpuDuration().isPresent())
            .collect(Collectors.toMap(ProcessHandle::pid, p -> p.info().totalCpuDuration().orElseThrow())),
        ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO));
  }

  /** Nodes seen both then and now. */
  int nodesSince(CpuUse then) {
    return (int) nodesByPid.keySet().stream().filter(then.nodesByPid::containsKey).count();
  }

  /** CPU seconds the nodes seen both then and now used in between. */
  double nodeSecondsSince(CpuUse then) {
    return nodesByPid.entrySet().stream()
        .filter(e -> then.nodesByPid.containsKey(e.getKey()))
        .mapToLong(e -> e.getValue().minus(then.nodesByPid.get(e.getKey())).toNanos())
        .sum() / 1e9;
  }

  /** CPU seconds this process used in between. */
  double clientSecondsSince(CpuUse then) {
    return client.minus(then.client).toNanos() / 1e9;
  }

  /**
   * A line for a person: the nodes' CPU seconds in all and per 100,000 records, if any local node
   * was seen, and this client's; empty without records.
   */
  Optional<String> describeSince(CpuUse then, long records) {
    if (records == 0) {
      return Optional.empty();
    }
    double clientSeconds = clientSecondsSince(then);
    String clientLine = String.format("client CPU: %.1f s, %.2f s per 100,000 records", clientSeconds, clientSeconds * 100_000 / records);
    int nodes = nodesSince(then);
    if (nodes == 0) {
      return Optional.of(clientLine);
    }
    double seconds = nodeSecondsSince(then);
    return Optional.of(String.format("node CPU: %.1f s on %d local nodes, %.2f s per 100,000 records; %s", seconds, nodes,
        seconds * 100_000 / records, clientLine));
  }

  /** Adds the CPU fields to {@code json}: the local nodes', if any was seen, and this client's. */
  JsonWriter addSince(JsonWriter json, CpuUse then, long records) {
    if (records == 0) {
      return json;
    }
    double clientSeconds = clientSecondsSince(then);
    json.field("clientCpuSeconds", clientSeconds).field("clientCpuSecondsPer100kRecords", clientSeconds * 100_000 / records);
    int nodes = nodesSince(then);
    if (nodes == 0) {
      return json;
    }
    double seconds = nodeSecondsSince(then);
    return json.field("localNodes", nodes)
        .field("nodeCpuSeconds", seconds)
        .field("nodeCpuSecondsPer100kRecords", seconds * 100_000 / records);
  }
}
