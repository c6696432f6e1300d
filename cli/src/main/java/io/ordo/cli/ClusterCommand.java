package io.ordo.cli;

import io.ordo.client.ClusterInfo;
import io.ordo.client.NodeInfo;
import io.ordo.client.OrdoClient;
import io.ordo.client.PartitionHealth;
import io.ordo.client.PartitionInfo;
import java.io.PrintStream;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ordo cluster status|remove-node}. */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Inspect the cluster; take nodes out of it.",
    subcommands = {ClusterCommand.Status.class, ClusterCommand.RemoveNode.class})
final class ClusterCommand {
  private ClusterCommand() {}

  @Command(
      name = "remove-node",
      mixinStandardHelpOptions = true,
      description = {
        "Take node ID out of the cluster: it gets no new replicas, its partitions move to the other"
            + " live nodes (each partition's Raft group adds a new replica, lets it catch up, then"
            + " drops the leaving one, so writes go on), its vote in the metadata group passes to a"
            + " node that joined later, then it is deregistered and its process may be stopped.",
        "Refused when a partition has a replica on every other live node, or when no live node can"
            + " take its metadata vote: add a node first. With --wait, waits until it is gone,"
            + " printing the partitions still to move."
      })
  static final class RemoveNode implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "ID")
    int nodeId;

    @Mixin WaitOptions waiting;

    @Override
    public Integer call() throws InterruptedException {
      try (OrdoClient client = global.connect()) {
        int moving = client.admin().removeNode(nodeId);
        PrintStream out = global.out();
        if (!global.json()) {
          out.println("node " + nodeId + " is leaving; " + moving + " partition(s) move off it");
        }
        if (!waiting.await) {
          if (global.json()) {
            out.println(new JsonWriter().beginObject().field("nodeId", nodeId).field("partitionsToMove", moving).endObject());
          }
          return 0;
        }
        long deadline = waiting.deadlineNanos();
        int lastReported = moving;
        while (true) {
          Optional<NodeInfo> node = client.admin().describeCluster().nodes().stream().filter(n -> n.nodeId() == nodeId).findFirst();
          if (node.isEmpty()) {
            if (global.json()) {
              out.println(new JsonWriter().beginObject().field("nodeId", nodeId).field("removed", true).endObject());
            } else {
              out.println("node " + nodeId + " has left the cluster; its process may be stopped");
            }
            return 0;
          }
          if (node.get().replicas() != lastReported && !global.json()) {
            lastReported = node.get().replicas();
            out.println("node " + nodeId + ": " + lastReported + " partition(s) still to move");
          }
          if (System.nanoTime() > deadline) {
            global.err().println("node " + nodeId + " still has " + node.get().replicas() + " partition(s) after "
                + waiting.timeoutSecs + " s; 'ordo cluster status' shows it decommissioning (a move waits while a new replica"
                + " is down or catching up)");
            return 1;
          }
          Thread.sleep(WaitOptions.POLL_MS);
        }
      }
    }
  }

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
              .field("decommissioning", node.decommissioning())
              .field("replicas", node.replicas())
              .field("incarnation", node.incarnation())
              .field("rack", node.rack())
              .field("metadataFailure", node.metadataFailure())
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
      Table table = new Table("NODE", "CLIENT-ADDRESS", "RAFT-ADDRESS", "INCARNATION", "RACK", "ALIVE", "ROLE");
      for (NodeInfo node : cluster.nodes()) {
        table.row(
            node.nodeId(),
            node.clientAddress(),
            node.raftAddress(),
            node.incarnation(),
            node.rack().isEmpty() ? "-" : node.rack(),
            node.alive() ? "yes" : "no",
            role(node, cluster));
      }
      table.print(out);
      cluster.nodes().stream().filter(n -> !n.metadataFailure().isEmpty()).forEach(n -> out.println(
          "node " + n.nodeId() + ": its copy of the metadata failed (" + n.metadataFailure() + "); mend the cause and restart the node"));
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
        health.unhealthy().forEach(u -> TopicCommand.printFailedReplicas(out, u.topic(), u.partition()));
      }
      return 0;
    }
  }

  private static String role(NodeInfo node, ClusterInfo cluster) {
    String leader = node.nodeId() == cluster.metadataLeader() ? "metadata-leader" : "";
    String leaving = node.decommissioning() ? "decommissioning" : "";
    String role = leader + (leader.isEmpty() || leaving.isEmpty() ? "" : ",") + leaving;
    return role.isEmpty() ? "-" : role;
  }
}
