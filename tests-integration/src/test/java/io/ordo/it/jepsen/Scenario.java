package io.ordo.it.jepsen;

import io.ordo.it.nemesis.Fault;
import java.util.List;

/** One kind of run: how many nodes, which faults, and whether producers are idempotent. */
public record Scenario(String name, int nodes, List<Fault> faults, boolean idempotent) {
  @Override
  public String toString() {
    return name;
  }
}
