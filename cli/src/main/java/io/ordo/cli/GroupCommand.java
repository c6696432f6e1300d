package io.ordo.cli;

import io.ordo.client.Consumer;
import io.ordo.client.GroupInfo;
import io.ordo.client.GroupSummary;
import io.ordo.client.OrdoClient;
import io.ordo.client.TopicPartition;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ordo group list|describe|reset-offsets|delete}. */
@Command(
    name = "group",
    mixinStandardHelpOptions = true,
    description = {
      "List, describe, reset and delete consumer groups (stream groups; queue groups are listed and"
          + " described too).",
      "A group's members divide its topics' partitions; `ordo consume TOPIC --group G` reads as one."
    },
    subcommands = {
      GroupCommand.ListGroups.class,
      GroupCommand.Describe.class,
      GroupCommand.ResetOffsets.class,
      GroupCommand.Delete.class
    })
final class GroupCommand {
  private GroupCommand() {}

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List every group with the topics it reads and its live members.")
  static final class ListGroups implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Override
    public Integer call() {
      List<GroupSummary> groups;
      try (OrdoClient client = global.connect()) {
        groups = client.admin().listGroups();
      }
      PrintStream out = global.out();
      if (global.json()) {
        JsonWriter json = new JsonWriter().beginObject().name("groups").beginArray();
        for (GroupSummary g : groups) {
          json.beginObject().field("name", g.name()).name("topics").beginArray();
          g.topics().forEach(json::value);
          json.endArray().field("kind", kind(g)).field("members", g.members()).endObject();
        }
        out.println(json.endArray().endObject());
      } else {
        Table table = new Table("NAME", "KIND", "TOPICS", "MEMBERS");
        groups.forEach(g -> table.row(g.name(), kind(g), String.join(",", g.topics()), g.queue() ? "-" : g.members()));
        table.print(out);
      }
      return 0;
    }

    private static String kind(GroupSummary g) {
      return g.queue() ? "queue" : "stream";
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = {
        "Describe group G: per partition of its topics the committed offset (the next offset the"
            + " group reads; -1 if it committed nothing there), the end offset, the lag between"
            + " them, and the member that reads it.",
        "Then each live member with its partitions.",
        "For a queue group, what `ordo queue describe G` shows."
      })
  static final class Describe implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "G")
    String group;

    @Override
    public Integer call() {
      try (OrdoClient client = global.connect()) {
        GroupInfo info = client.admin().describeGroup(group);
        if (info.queue()) {
          QueueCommand.printQueueGroup(client.admin().describeQueueGroup(group), global);
        } else {
          printGroup(info, global);
        }
      }
      return 0;
    }
  }

  @Command(
      name = "reset-offsets",
      mixinStandardHelpOptions = true,
      description = {
        "Move group G's committed offset in every partition of --topic, and print them.",
        "Refused while the group has live members: stop them first."
      })
  static final class ResetOffsets implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "G")
    String group;

    @Option(names = "--topic", paramLabel = "T", required = true, description = "The topic whose offsets move.")
    String topic;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
      @Option(names = "--to-earliest", description = "To each partition's first readable record.")
      boolean earliest;

      @Option(names = "--to-latest", description = "To each partition's end: skip everything there now.")
      boolean latest;

      @Option(names = "--to-offset", paramLabel = "N", description = "To offset N in every partition.")
      Long offset;
    }

    @Override
    public Integer call() {
      long offset = target.earliest ? Consumer.EARLIEST : target.latest ? Consumer.LATEST : target.offset;
      if (!target.earliest && !target.latest && offset < 0) {
        throw global.usageError("--to-offset must not be negative");
      }
      List<GroupInfo.PartitionOffset> partitions;
      try (OrdoClient client = global.connect()) {
        partitions = client.admin().resetGroupOffsets(group, topic, offset);
      }
      printPartitions(partitions, global);
      return 0;
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Delete group G and its committed offsets. Refused while it has live members.")
  static final class Delete implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "G")
    String group;

    @Override
    public Integer call() {
      try (OrdoClient client = global.connect()) {
        client.admin().deleteGroup(group);
      }
      global.printDeleted("group", group);
      return 0;
    }
  }

  static void printGroup(GroupInfo group, GlobalOptions global) {
    PrintStream out = global.out();
    if (global.json()) {
      JsonWriter json = new JsonWriter().beginObject().field("name", group.name()).name("topics").beginArray();
      group.topics().forEach(json::value);
      json.endArray().field("generation", group.generation()).name("partitions").beginArray();
      group.partitions().forEach(p -> partition(json, p));
      json.endArray().name("members").beginArray();
      for (GroupInfo.Member m : group.members()) {
        json.beginObject().field("memberId", m.memberId()).name("partitions").beginArray();
        m.assigned().forEach(tp -> json.value(tp.toString()));
        json.endArray().endObject();
      }
      out.println(json.endArray().endObject());
      return;
    }
    out.println("group " + group.name() + " reads " + String.join(", ", group.topics()) + "; "
        + group.members().size() + " live members");
    partitionTable(group.partitions()).print(out);
    if (!group.members().isEmpty()) {
      out.println();
      Table members = new Table("MEMBER", "PARTITIONS");
      for (GroupInfo.Member m : group.members()) {
        members.row(m.memberId(), m.assigned().stream().map(TopicPartition::toString).collect(Collectors.joining(",")));
      }
      members.print(out);
    }
  }

  static void printPartitions(List<GroupInfo.PartitionOffset> partitions, GlobalOptions global) {
    if (global.json()) {
      JsonWriter json = new JsonWriter().beginObject().name("partitions").beginArray();
      partitions.forEach(p -> partition(json, p));
      global.out().println(json.endArray().endObject());
    } else {
      partitionTable(partitions).print(global.out());
    }
  }

  private static void partition(JsonWriter json, GroupInfo.PartitionOffset p) {
    json.beginObject()
        .field("topic", p.topic())
        .field("partition", p.partition())
        .field("committedOffset", p.committedOffset())
        .field("endOffset", p.endOffset())
        .field("lag", p.lag())
        .field("owner", p.owner())
        .endObject();
  }

  private static Table partitionTable(List<GroupInfo.PartitionOffset> partitions) {
    Table table = new Table("TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "OWNER");
    partitions.forEach(p -> table.row(
        p.topic(), p.partition(), p.committedOffset(), p.endOffset(), p.lag(), p.owner().isEmpty() ? "-" : p.owner()));
    return table;
  }
}
