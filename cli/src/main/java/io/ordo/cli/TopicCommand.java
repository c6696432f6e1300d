package io.ordo.cli;

import io.ordo.client.OrdoClient;
import io.ordo.client.PartitionInfo;
import io.ordo.client.TopicInfo;
import io.ordo.client.TopicSummary;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ordo topic create|list|describe|alter|reassign|delete}. */
@Command(
    name = "topic",
    mixinStandardHelpOptions = true,
    description = "Create, list, describe, alter, reassign and delete topics.",
    subcommands = {
      TopicCommand.Create.class,
      TopicCommand.ListTopics.class,
      TopicCommand.Describe.class,
      TopicCommand.Alter.class,
      TopicCommand.Reassign.class,
      TopicCommand.Delete.class
    })
final class TopicCommand {
  private TopicCommand() {}

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Create topic NAME with the given number of partitions, each replicated on"
            + " --replication-factor nodes, and print its description.",
        "Fails if the topic exists, or the cluster has fewer live nodes than the replication"
            + " factor.",
        "Settings (--config, by Kafka's names): retention.ms deletes records appended longer ago"
            + " than that; retention.bytes deletes a partition's oldest records while it stores more;"
            + " -1 lifts either bound. Unset, they take the nodes' --retention-ms/--retention-bytes"
            + " (forever by default). Records a queue group has not finished are never deleted."
      })
  static final class Create implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "NAME", description = "Letters, digits, '.', '_' and '-'.")
    String name;

    @Option(
        names = "--partitions",
        paramLabel = "N",
        defaultValue = "1",
        description = "Number of partitions (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
        names = "--replication-factor",
        paramLabel = "R",
        defaultValue = "3",
        description = "Replicas of each partition (default: ${DEFAULT-VALUE}).")
    int replicationFactor;

    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "A setting, such as retention.ms=86400000; repeat for more.")
    Map<String, String> config = new LinkedHashMap<>();

    @Override
    public Integer call() {
      try (OrdoClient client = global.connect()) {
        TopicInfo topic = client.admin().createTopic(name, partitions, replicationFactor, config);
        printTopic(topic, global);
      }
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List every topic with its partition count and replication factor.")
  static final class ListTopics implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Override
    public Integer call() {
      List<TopicSummary> topics;
      try (OrdoClient client = global.connect()) {
        topics = client.admin().listTopics();
      }
      PrintStream out = global.out();
      if (global.json()) {
        JsonWriter json = new JsonWriter().beginObject().name("topics").beginArray();
        for (TopicSummary topic : topics) {
          json.beginObject()
              .field("name", topic.name())
              .field("partitions", topic.partitions())
              .field("replicationFactor", topic.replicationFactor())
              .endObject();
        }
        out.println(json.endArray().endObject());
      } else {
        Table table = new Table("NAME", "PARTITIONS", "REPLICATION-FACTOR");
        topics.forEach(t -> table.row(t.name(), t.partitions(), t.replicationFactor()));
        table.print(out);
      }
      return 0;
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = {
        "Describe topic NAME: per partition its status, leader, replicas, in-sync replicas and"
            + " readable offset range [start, end).",
        "Status 'leaderless' (leader 'none') means an election is under way or no quorum is alive;"
            + " 'under-replicated', that the leader heard from fewer than all replicas."
      })
  static final class Describe implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      try (OrdoClient client = global.connect()) {
        printTopic(client.admin().describeTopic(name), global);
      }
      return 0;
    }
  }

  @Command(
      name = "alter",
      mixinStandardHelpOptions = true,
      description = {
        "Change topic NAME's settings (--config, --reset-config) or grow it to --partitions"
            + " partitions, and print its description.",
        "Settings are those of 'topic create'; retention applies within seconds.",
        "Keyed records hash over the new partition count: a key's later records may go to"
            + " another partition than its earlier ones (as in Kafka), so order per key holds only"
            + " within each side of the change. Partitions are never removed."
      })
  static final class Alter implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--partitions", paramLabel = "N", description = "The new partition count.")
    Integer partitions;

    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "A setting to set; repeat for more.")
    Map<String, String> config = new LinkedHashMap<>();

    @Option(names = "--reset-config", paramLabel = "KEY", description = "A setting to return to the nodes' default; repeat for more.")
    List<String> reset = new ArrayList<>();

    @Override
    public Integer call() {
      if (partitions == null && config.isEmpty() && reset.isEmpty()) {
        throw global.usageError("nothing to change: give --partitions, --config or --reset-config");
      }
      try (OrdoClient client = global.connect()) {
        TopicInfo topic = null;
        if (!config.isEmpty() || !reset.isEmpty()) {
          topic = client.admin().alterTopicConfig(name, config, reset);
        }
        if (partitions != null) {
          topic = client.admin().addPartitions(name, partitions);
        }
        printTopic(topic, global);
      }
      return 0;
    }
  }

  @Command(
      name = "reassign",
      mixinStandardHelpOptions = true,
      description = {
        "Move partitions of topic NAME to other nodes, or change how many replicas they have.",
        "Each partition's Raft group adds its new replicas, lets them copy the partition from its"
            + " leader, then changes its members in one step: the partition stays writable and never"
            + " has fewer replicas in sync than before. Its old replicas are then deleted.",
        "Prints the topic with the moves recorded (REPLICAS shows old->new while one is under way);"
            + " with --wait, waits until every move is done. A partition that is moving is refused"
            + " until its move is done."
      })
  static final class Reassign implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "NAME")
    String name;

    @Option(
        names = "--replicas",
        paramLabel = "P=IDS",
        required = true,
        description = "Partition P's new replicas: node ids, comma-separated, the preferred leader first."
            + " Repeat for more partitions, e.g. --replicas 0=2,3 --replicas 1=3,1.")
    Map<Integer, String> replicas;

    @Mixin WaitOptions waiting;

    @Override
    public Integer call() throws InterruptedException {
      Map<Integer, List<Integer>> targets = new TreeMap<>();
      replicas.forEach((partition, ids) -> targets.put(partition, nodeIds(partition, ids)));
      try (OrdoClient client = global.connect()) {
        TopicInfo topic = client.admin().reassignPartitions(name, targets);
        if (!waiting.await) {
          printTopic(topic, global);
          return 0;
        }
        return awaitMoves(client, topic, targets.keySet());
      }
    }

    private List<Integer> nodeIds(int partition, String ids) {
      try {
        return Arrays.stream(ids.split(",")).map(String::trim).map(Integer::valueOf).toList();
      } catch (NumberFormatException e) {
        throw global.usageError(
            "--replicas " + partition + "=" + ids + ": expected node ids separated by commas, e.g. " + partition + "=2,3");
      }
    }

    /** Polls the topic until none of {@code partitions} moves, printing each as its move ends. */
    private int awaitMoves(OrdoClient client, TopicInfo topic, Set<Integer> partitions) throws InterruptedException {
      long deadline = waiting.deadlineNanos();
      Set<Integer> moving = new TreeSet<>(partitions);
      while (true) {
        for (PartitionInfo p : topic.partitions()) {
          if (moving.contains(p.partition()) && !p.reassigning()) {
            moving.remove(p.partition());
            if (!global.json()) {
              global.out().println("partition " + p.partition() + ": replicas " + ids(p.replicas()));
            }
          }
        }
        if (moving.isEmpty()) {
          if (global.json()) {
            printTopic(topic, global);
          }
          return 0;
        }
        if (System.nanoTime() > deadline) {
          global.err().println(
              "partitions " + moving + " still moving after " + waiting.timeoutSecs + " s; 'ordo topic describe " + name
                  + "' shows them (a move waits while a new replica is down or catching up)");
          return 1;
        }
        Thread.sleep(WaitOptions.POLL_MS);
        topic = client.admin().describeTopic(name);
      }
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Delete topic NAME and all its records. This cannot be undone.")
  static final class Delete implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      try (OrdoClient client = global.connect()) {
        client.admin().deleteTopic(name);
      }
      global.printDeleted("topic", name);
      return 0;
    }
  }

  /** Prints a topic's description as a table or as JSON. */
  static void printTopic(TopicInfo topic, GlobalOptions global) {
    PrintStream out = global.out();
    if (global.json()) {
      out.println(topicJson(topic));
      return;
    }
    out.println(
        "topic " + topic.name() + "  id " + topic.topicId() + "  replication-factor "
            + topic.replicationFactor() + "  partitions " + topic.partitions().size());
    out.println("config " + (topic.config().isEmpty()
        ? "(the nodes' defaults)"
        : new TreeMap<>(topic.config()).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "))));
    Table table = new Table("PARTITION", "STATUS", "LEADER", "REPLICAS", "IN-SYNC", "START", "END");
    for (PartitionInfo p : topic.partitions()) {
      table.row(
          p.partition(),
          status(p),
          leader(p),
          p.reassigning() ? ids(p.replicas()) + "->" + ids(p.targetReplicas()) : ids(p.replicas()),
          ids(p.inSyncReplicas()),
          p.startOffset(),
          p.endOffset());
    }
    table.print(out);
    topic.partitions().forEach(p -> printFailedReplicas(out, topic.name(), p));
  }

  /**
   * One line per failed replica of the partition: what an operator must mend before restarting its
   * node (the replica is out of its group until then).
   */
  static void printFailedReplicas(PrintStream out, String topic, PartitionInfo p) {
    p.failedReplicas().forEach((node, error) ->
        out.println(topic + "/" + p.partition() + ": the replica on node " + node + " failed (" + error
            + "); mend the cause and restart the node"));
  }

  /** The JSON form of a topic's description; node ids are numbers. */
  static String topicJson(TopicInfo topic) {
    JsonWriter json =
        new JsonWriter()
            .beginObject()
            .field("name", topic.name())
            .field("topicId", topic.topicId())
            .field("replicationFactor", topic.replicationFactor())
            .name("partitions")
            .beginArray();
    for (PartitionInfo p : topic.partitions()) {
      json.beginObject().field("partition", p.partition()).field("leader", p.leader()).field("status", status(p));
      replicasJson(json, p);
      json.field("startOffset", p.startOffset())
          .field("endOffset", p.endOffset())
          .endObject();
    }
    json.endArray().name("config").beginObject();
    new TreeMap<>(topic.config()).forEach(json::field);
    return json.endObject().endObject().toString();
  }

  /** The partition's replicas and in-sync replicas as JSON arrays of node ids. */
  static void replicasJson(JsonWriter json, PartitionInfo p) {
    json.name("replicas").beginArray();
    p.replicas().forEach(json::value);
    json.endArray().name("inSyncReplicas").beginArray();
    p.inSyncReplicas().forEach(json::value);
    json.endArray().name("targetReplicas").beginArray();
    p.targetReplicas().forEach(json::value);
    json.endArray().name("failedReplicas").beginArray();
    p.failedReplicas().forEach((node, error) -> json.beginObject().field("node", node).field("error", error).endObject());
    json.endArray();
  }

  static String status(PartitionInfo p) {
    return p.leaderless() ? "leaderless" : p.underReplicated() ? "under-replicated" : "ok";
  }

  static String leader(PartitionInfo p) {
    return p.leaderless() ? "none" : String.valueOf(p.leader());
  }

  static String ids(List<Integer> ids) {
    return ids.isEmpty() ? "-" : ids.stream().map(String::valueOf).collect(Collectors.joining(","));
  }
}
