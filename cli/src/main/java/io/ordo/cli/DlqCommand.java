package io.ordo.cli;

import io.ordo.client.DeadLetterRecord;
import io.ordo.client.OrdoClient;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ordo dlq list|redrive}. */
@Command(
    name = "dlq",
    mixinStandardHelpOptions = true,
    description = {
      "A queue group's dead letters: records delivered its limit of times, or rejected by a consumer.",
      "They stay in their topic, where they were; list them, or redrive them to be delivered again."
    },
    subcommands = {DlqCommand.ListDeadLetters.class, DlqCommand.Redrive.class})
final class DlqCommand {
  private DlqCommand() {}

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List queue group G's dead letters: partition, offset, deliveries, why, the consumer's last"
          + " error, key and value.")
  static final class ListDeadLetters implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "G")
    String group;

    @Option(names = "--topic", paramLabel = "T", description = "The group's topic (checked if given).")
    String topic;

    @Option(names = "--max-messages", paramLabel = "N", description = "List at most N (default 1000).")
    int max = 1_000;

    @Override
    public Integer call() {
      if (max < 1) {
        throw global.usageError("--max-messages must be at least 1");
      }
      List<DeadLetterRecord> dead;
      try (OrdoClient client = global.connect()) {
        requireTopic(client, group, topic, global);
        dead = client.admin().deadLetters(group, max);
      }
      PrintStream out = global.out();
      if (global.json()) {
        JsonWriter json = new JsonWriter().beginObject().field("group", group).name("deadLetters").beginArray();
        for (DeadLetterRecord d : dead) {
          json.beginObject()
              .field("topic", d.record().topic())
              .field("partition", d.record().partition())
              .field("offset", d.record().offset())
              .field("deliveries", d.deliveries())
              .field("reason", d.reason())
              .field("lastError", d.lastError())
              .field("deadAtMs", d.deadAtMs())
              .field("key", d.record().keyAsString())
              .field("value", d.record().valueAsString())
              .endObject();
        }
        out.println(json.endArray().endObject());
      } else {
        Table table = new Table("PARTITION", "OFFSET", "DELIVERIES", "REASON", "LAST-ERROR", "KEY", "VALUE");
        for (DeadLetterRecord d : dead) {
          table.row(d.record().partition(), d.record().offset(), d.deliveries(), d.reason(), d.lastError(),
              d.record().key() == null ? "" : d.record().keyAsString(), d.record().valueAsString());
        }
        table.print(out);
      }
      return 0;
    }
  }

  @Command(
      name = "redrive",
      mixinStandardHelpOptions = true,
      description = "Deliver every dead letter of queue group G again, each one's delivery count starting over;"
          + " prints how many.")
  static final class Redrive implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "G")
    String group;

    @Option(names = "--topic", paramLabel = "T", description = "The group's topic (checked if given).")
    String topic;

    @Override
    public Integer call() {
      long redriven;
      try (OrdoClient client = global.connect()) {
        requireTopic(client, group, topic, global);
        redriven = client.admin().redriveDeadLetters(group);
      }
      if (global.json()) {
        global.out().println(new JsonWriter().beginObject().field("group", group).field("redriven", redriven).endObject());
      } else {
        global.out().println("redrove " + redriven + " dead letters of queue group " + group);
      }
      return 0;
    }
  }

  /** A queue group reads one topic: a --topic that names another is a mistake worth stopping for. */
  private static void requireTopic(OrdoClient client, String group, String topic, GlobalOptions global) {
    if (topic == null) {
      return;
    }
    String actual = client.admin().describeQueueGroup(group).topic();
    if (!actual.equals(topic)) {
      throw global.usageError("queue group " + group + " reads " + actual + ", not " + topic);
    }
  }
}
