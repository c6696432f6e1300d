package io.ordo.cli;

import io.ordo.client.ClusterInfo;
import io.ordo.client.NodeInfo;
import io.ordo.client.OrdoClient;
import io.ordo.client.PartitionHealth;
import io.ordo.client.PartitionInfo;
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
            + " from it just now; which node leads the metadata group ('none' while an"
            + " election runs); and how many partitions there are, naming those without a leader"
            + " and those under-replicated (their leader heard from fewer than all replicas)."
      })
  static final class Status implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Override
    public Integer call() {
      ClusterInfo cluster;
      PartitionHealth health;
      try (OrdoClient client = global.connect()) {
        cluster = client.admin().describeCluster();
        health = client.admin().partitionHealth();
      }
      PrintStream out = global.out();
      if (global.json()) {
        JsonWriter json =
            new JsonWriter()
                .beginObject()
                .field("metadataLeader", cluster.metadataLeader())
                .field("featureLevel", cluster.featureLevel())
                .field("featureLevelRising", cluster.featureLevelRising())
                .name("nodes")
                .beginArray();
        for (NodeInfo node : cluster.nodes()) {
          json.beginObject()
              .field("nodeId", node.nodeId())
              .field("clientAddress", node.clientAddress())
              .field("raftAddress", node.raftAddress())
              .field("alive", node.alive())
              .field("supportedFeatureLevel", node.supportedFeatureLevel())
              .endObject();
        }
        json.endArray().field("partitionCount", health.partitions()).name("unhealthyPartitions").beginArray();
        for (PartitionHealth.UnhealthyPartition u : health.unhealthy()) {
          json.beginObject()
              .field("topic", u.topic())
              .field("partition", u.partition().partition())
              .field("leader", u.partition().leader())
              .field("status", TopicCommand.status(u.partition()));
          TopicCommand.replicasJson(json, u.partition());
          json.endObject();
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
      out.println(
          "feature level: " + cluster.featureLevel()
              + (cluster.featureLevelRising() ? " (every node supports more: rising within seconds)" : ""));
      out.println(
          "partitions: " + health.partitions() + ", leaderless: " + health.leaderless()
              + ", under-replicated: " + health.underReplicated());
      if (!health.unhealthy().isEmpty()) {
        Table unhealthy = new Table("TOPIC", "PARTITION", "STATUS", "LEADER", "REPLICAS", "IN-SYNC");
        for (PartitionHealth.UnhealthyPartition u : health.unhealthy()) {
          PartitionInfo p = u.partition();
          unhealthy.row(
              u.topic(), p.partition(), TopicCommand.status(p), TopicCommand.leader(p),
              TopicCommand.ids(p.replicas()), TopicCommand.ids(p.inSyncReplicas()));
        }
        unhealthy.print(out);
      }
      return 0;
    }
  }
}
