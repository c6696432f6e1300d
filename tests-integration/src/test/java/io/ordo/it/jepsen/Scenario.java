package io.ordo.it.jepsen;

import io.ordo.it.nemesis.Fault;
import java.util.List;
import java.util.Map;

/**
 * One kind of run: how many nodes, which faults, whether producers are idempotent, and the nodes'
 * extra ordo-node flags.
 */
public record Scenario(String name, int nodes, List<Fault> faults, boolean idempotent, Map<String, String> nodeOptions) {
  public Scenario(String name, int nodes, List<Fault> faults, boolean idempotent) {
    this(name, nodes, faults, idempotent, Map.of());
  }

  @Override
  public String toString() {
    return name;
  }
}
