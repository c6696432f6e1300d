package io.ordo.cli;

import io.ordo.client.OrdoClient;
import io.ordo.client.QueueGroupInfo;
import io.ordo.proto.v1.QueueMode;
import io.ordo.proto.v1.QueuePolicy;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ordo queue create|describe}. */
@Command(
    name = "queue",
    mixinStandardHelpOptions = true,
    description = {
      "Create and describe queue groups: the group's consumers share a topic's records, each record"
          + " leased to one of them, retried on failure, dead-lettered after its delivery limit.",
      "`ordo consume TOPIC --queue G` receives as one of its consumers; `ordo dlq` lists and redrives"
          + " its dead letters."
    },
    subcommands = {QueueCommand.Create.class, QueueCommand.Describe.class})
final class QueueCommand {
  private QueueCommand() {}

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create queue group G on topic T, starting at the topic's earliest records.")
  static final class Create implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "G")
    String group;

    @Option(names = "--topic", paramLabel = "T", required = true, description = "The topic the group reads.")
    String topic;

    @Option(
        names = "--mode",
        paramLabel = "shared|key-ordered",
        description = "shared (default): any consumer gets any record. key-ordered: the records of one key"
            + " are delivered one at a time, in order (the next after the one before is acked or"
            + " dead-lettered); different keys go to different consumers at once.")
    String mode = "shared";

    @Option(
        names = "--max-deliveries",
        paramLabel = "N",
        description = "Deliveries before a record is dead-lettered, 1 to 1000, or -1 for no limit (default 10).")
    Integer maxDeliveries;

    @Option(names = "--lease-ms", paramLabel = "L", description = "How long a consumer holds a record (default 30000).")
    Long leaseMs;

    @Option(
        names = "--backoff-ms",
        paramLabel = "B",
        split = ",",
        description = "Waits before the 1st, 2nd, ... retry of a nacked record, the last repeating"
            + " (default 1000,5000,30000,120000,600000).")
    List<Long> backoffMs;

    @Option(
        names = "--dead-letter-topic",
        paramLabel = "D",
        description = "Where dead letters are exported, each exactly once (default: the topic's name"
            + " with .dlq appended; created with the topic's partitions when the first one needs it).")
    String deadLetterTopic;

    @Option(
        names = "--no-dead-letter-topic",
        description = "Keep dead letters in the group only (ordo dlq list shows them); export none.")
    boolean noDeadLetterTopic;

    @Override
    public Integer call() {
      QueuePolicy.Builder policy = QueuePolicy.newBuilder();
      if (deadLetterTopic != null && noDeadLetterTopic) {
        throw global.usageError("--dead-letter-topic and --no-dead-letter-topic contradict each other");
      }
      if (deadLetterTopic != null) {
        policy.setDeadLetterTopic(deadLetterTopic);
      } else if (noDeadLetterTopic) {
        policy.setDeadLetterTopic("");
      }
      switch (mode) {
        case "shared" -> policy.setMode(QueueMode.QUEUE_MODE_SHARED);
        case "key-ordered" -> policy.setMode(QueueMode.QUEUE_MODE_KEY_ORDERED);
        default -> throw global.usageError("--mode must be shared or key-ordered, not '" + mode + "'");
      }
      if (maxDeliveries != null) {
        if (maxDeliveries == 0) {
          throw global.usageError("--max-deliveries must be 1 to 1000, or -1 for no limit");
        }
        policy.setMaxDeliveries(maxDeliveries);
      }
      if (leaseMs != null) {
        policy.setLeaseMs(leaseMs);
      }
      if (backoffMs != null) {
        policy.addAllBackoffMs(backoffMs);
      }
      try (OrdoClient client = global.connect()) {
        client.admin().createQueueGroup(group, topic, policy.build());
      }
      if (global.json()) {
        global.out().println(new JsonWriter().beginObject().field("created", group).field("topic", topic).endObject());
      } else {
        global.out().println("created queue group " + group + " on " + topic);
      }
      return 0;
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = {
        "Describe queue group G: its policy, then per partition the records in flight (leased),"
            + " waiting for a retry, blocked behind their key (key-ordered), dead, not yet delivered"
            + " (backlog), and the counts of records"
            + " acked, deliveries repeated and records dead-lettered since the group came there.",
        "A partition no consumer has received from yet shows '-'."
      })
  static final class Describe implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "G")
    String group;

    @Override
    public Integer call() {
      try (OrdoClient client = global.connect()) {
        printQueueGroup(client.admin().describeQueueGroup(group), global);
      }
      return 0;
    }
  }

  static void printQueueGroup(QueueGroupInfo info, GlobalOptions global) {
    PrintStream out = global.out();
    QueuePolicy policy = info.policy();
    if (global.json()) {
      JsonWriter json = new JsonWriter()
          .beginObject()
          .field("name", info.name())
          .field("kind", "queue")
          .field("topic", info.topic())
          .field("start", info.fromLatest() ? "latest" : "earliest")
          .field("mode", mode(policy))
          .name("policy")
          .beginObject()
          .field("maxDeliveries", policy.getMaxDeliveries())
          .field("leaseMs", policy.getLeaseMs())
          .name("backoffMs")
          .beginArray();
      policy.getBackoffMsList().forEach(json::value);
      json.endArray()
          .field("maxLeased", policy.getMaxLeased())
          .field("maxUnfinished", policy.getMaxUnfinished())
          .field("deadLetterTopic", policy.getDeadLetterTopic())
          .endObject()
          .name("partitions")
          .beginArray();
      for (QueueGroupInfo.Partition p : info.partitions()) {
        json.beginObject()
            .field("partition", p.partition())
            .field("known", p.known())
            .field("inFlight", p.inFlight())
            .field("waiting", p.waiting())
            .field("blocked", p.blocked())
            .field("dead", p.dead())
            .field("backlog", p.backlog())
            .field("acked", p.acked())
            .field("redelivered", p.redelivered())
            .field("deadLettered", p.deadLettered())
            .field("unexported", p.unexported())
            .field("floor", p.floor())
            .field("cursor", p.cursor())
            .field("endOffset", p.endOffset())
            .endObject();
      }
      out.println(json.endArray().endObject());
      return;
    }
    out.println(mode(policy) + " queue group " + info.name() + " reads " + info.topic() + " from its "
        + (info.fromLatest() ? "latest" : "earliest") + " records; max deliveries "
        + (policy.getMaxDeliveries() < 0 ? "unlimited" : policy.getMaxDeliveries()) + ", lease " + policy.getLeaseMs()
        + " ms, back-off " + policy.getBackoffMsList() + " ms; "
        + (policy.getDeadLetterTopic().isEmpty() ? "dead letters kept in the group only"
            : "dead letters exported to " + policy.getDeadLetterTopic()));
    Table table = new Table(
        "PARTITION", "IN-FLIGHT", "WAITING", "BLOCKED", "DEAD", "BACKLOG", "ACKED", "REDELIVERED", "DEAD-LETTERED",
        "UNEXPORTED");
    for (QueueGroupInfo.Partition p : info.partitions()) {
      if (p.known()) {
        table.row(p.partition(), p.inFlight(), p.waiting(), p.blocked(), p.dead(), p.backlog(), p.acked(),
            p.redelivered(), p.deadLettered(), p.unexported());
      } else {
        table.row(p.partition(), "-", "-", "-", "-", p.backlog(), "-", "-", "-", "-");
      }
    }
    table.print(out);
  }

  private static String mode(QueuePolicy policy) {
    return policy.getMode() == QueueMode.QUEUE_MODE_KEY_ORDERED ? "key-ordered" : "shared";
  }
}
