package io.ordo.cli;

import io.ordo.client.ClusterInfo;
import io.ordo.client.NodeInfo;
import io.ordo.client.OrdoClient;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ordo cluster status}. */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Inspect the cluster.",
    subcommands = ClusterCommand.Status.class)
final class ClusterCommand {
  private ClusterCommand() {}

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = {
        "List the nodes: id, client address, Raft address and whether the answering node heard"
            + " from it just now; and which node leads the metadata group ('none' while an"
            + " election runs)."
      })
  static final class Status implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Override
    public Integer call() {
      ClusterInfo cluster;
      try (OrdoClient client = global.connect()) {
        cluster = client.admin().describeCluster();
      }
      PrintStream out = global.out();
      if (global.json()) {
        JsonWriter json =
            new JsonWriter()
                .beginObject()
                .field("metadataLeader", cluster.metadataLeader())
                .name("nodes")
                .beginArray();
        for (NodeInfo node : cluster.nodes()) {
          json.beginObject()
              .field("nodeId", node.nodeId())
              .field("clientAddress", node.clientAddress())
              .field("raftAddress", node.raftAddress())
              .field("alive", node.alive())
              .endObject();
        }
        out.println(json.endArray().endObject());
        return 0;
      }
      Table table = new Table("NODE", "CLIENT-ADDRESS", "RAFT-ADDRESS", "ALIVE", "ROLE");
      for (NodeInfo node : cluster.nodes()) {
        table.row(
            node.nodeId(),
            node.clientAddress(),
            node.raftAddress(),
            node.alive() ? "yes" : "no",
            node.nodeId() == cluster.metadataLeader() ? "metadata-leader" : "-");
      }
      table.print(out);
      out.println(
          "metadata leader: "
              + (cluster.metadataLeader() == 0 ? "none" : "node " + cluster.metadataLeader()));
      return 0;
    }
  }
}
