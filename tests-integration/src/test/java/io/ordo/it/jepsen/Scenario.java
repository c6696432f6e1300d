package io.ordo.it.jepsen;

import io.ordo.it.nemesis.Fault;
import java.util.List;
import java.util.Map;

/**
 * One kind of run: how many nodes, which faults, whether producers are idempotent, the nodes'
 * extra ordo-node flags, and whether the cluster is secured (DockerCluster.startSecured).
 */
public record Scenario(String name, int nodes, List<Fault> faults, boolean idempotent, Map<String, String> nodeOptions, boolean secured) {
  public Scenario(String name, int nodes, List<Fault> faults, boolean idempotent) {
    this(name, nodes, faults, idempotent, Map.of(), false);
  }

  public Scenario(String name, int nodes, List<Fault> faults, boolean idempotent, Map<String, String> nodeOptions) {
    this(name, nodes, faults, idempotent, nodeOptions, false);
  }

  @Override
  public String toString() {
    return name;
  }
}
