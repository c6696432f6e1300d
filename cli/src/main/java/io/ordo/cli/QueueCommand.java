package io.ordo.cli;

import io.ordo.client.OrdoClient;
import io.ordo.proto.v1.QueuePolicy;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ordo queue create}. */
@Command(
    name = "queue",
    mixinStandardHelpOptions = true,
    description = {
      "Create queue groups: the group's consumers share a topic's records, each record leased to one"
          + " of them, retried on failure, dead-lettered after its delivery limit.",
      "`ordo consume TOPIC --queue G` receives as one of its consumers."
    },
    subcommands = {QueueCommand.Create.class})
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
        paramLabel = "shared",
        description = "shared: any consumer gets any record (the only mode so far).")
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

    @Override
    public Integer call() {
      if (!mode.equals("shared")) {
        throw global.usageError("--mode must be shared (key-ordered queues are not available yet), not '" + mode + "'");
      }
      QueuePolicy.Builder policy = QueuePolicy.newBuilder();
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
}
