package io.ordo.it.cli;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.OrdoClient;
import io.ordo.it.cluster.ProcessCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The ordo commands, in this JVM, against a 3-node cluster of real processes. */
class OrdoCommandsTest {
  private static ProcessCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = ProcessCluster.start(ProcessCluster.freshDirectory("OrdoCommandsTest"), 3, Map.of());
    try (OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      awaitHealthy(client, 3);
    }
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static CliResult ordo(String stdin, String... args) {
    return CliResult.run(cluster.bootstrap(), stdin, args);
  }

  @Test
  void topicLifecycleProduceAndConsume() {
    CliResult created = ordo("", "topic", "create", "greetings", "--partitions", "3", "--replication-factor", "3");
    assertThat(created.exitCode()).as(created.toString()).isZero();

    assertThat(ordo("", "topic", "list").out()).contains("greetings");

    CliResult produced = ordo("alice:hello\nbob:hi\nalice:bye\n", "produce", "greetings", "--key-separator", ":");
    assertThat(produced.exitCode()).as(produced.toString()).isZero();

    CliResult described = ordo("", "topic", "describe", "greetings", "--output", "json");
    assertThat(described.exitCode()).as(described.toString()).isZero();
    assertThat(described.out())
        .contains("\"partitions\"", "\"partition\"", "\"leader\"", "\"replicas\"", "\"startOffset\"", "\"endOffset\"");

    CliResult consumed =
        ordo("", "consume", "greetings", "--from-beginning", "--max-messages", "3", "--timeout-ms", "10000", "--print-key");
    assertThat(consumed.exitCode()).as(consumed.toString()).isZero();
    // Same key, same partition, in order: alice's records keep their order.
    List<String> lines = consumed.out().lines().toList();
    assertThat(lines).containsExactlyInAnyOrder("alice\thello", "bob\thi", "alice\tbye");
    assertThat(lines.indexOf("alice\thello")).isLessThan(lines.indexOf("alice\tbye"));

    CliResult deleted = ordo("", "topic", "delete", "greetings");
    assertThat(deleted.exitCode()).as(deleted.toString()).isZero();
    CliResult gone = ordo("", "topic", "describe", "greetings");
    assertThat(gone.exitCode()).isEqualTo(1);
    assertThat(gone.err()).startsWith("ordo: ").contains("greetings");
    assertThat(gone.err().lines().count()).isEqualTo(1);
  }

  @Test
  void aCompactedTopicTakesTombstonesAndRefusesKeylessRecords() {
    // Compacted topics need every node's feature level, finalized within seconds of the cluster's start.
    CliResult created = await("compacted topic created").atMost(Duration.ofSeconds(30)).until(
        () -> ordo("", "topic", "create", "profiles", "--partitions", "1", "--replication-factor", "3",
            "--config", "cleanup.policy=compact"),
        r -> r.exitCode() == 0 || !r.err().contains("not enabled yet"));
    assertThat(created.exitCode()).as(created.toString()).isZero();
    assertThat(ordo("", "topic", "describe", "profiles").out()).contains("cleanup.policy=compact");

    CliResult produced = ordo("alice:v1\nbob:v1\nalice:NULL\n", "produce", "profiles", "--key-separator", ":", "--null-marker", "NULL");
    CliResult keyless = ordo("no key\n", "produce", "profiles");
    CliResult consumed = ordo("", "consume", "profiles", "--from-beginning", "--max-messages", "3", "--timeout-ms", "10000",
        "--print-key", "--output", "json");

    assertThat(produced.exitCode()).as(produced.toString()).isZero();
    assertThat(keyless.exitCode()).isEqualTo(1);
    assertThat(keyless.err()).contains("is compacted").contains("need keys");
    assertThat(consumed.out().lines().toList()).hasSize(3).last().asString()
        .contains("\"key\":\"alice\"").contains("\"value\":null");
  }

  @Test
  void consumeFromAnOffsetPrintsOffsets() {
    assertThat(ordo("", "topic", "create", "numbers", "--partitions", "1", "--replication-factor", "3").exitCode()).isZero();
    assertThat(ordo("one\ntwo\nthree\nfour\n", "produce", "numbers").exitCode()).isZero();
    CliResult consumed =
        ordo("", "consume", "numbers", "--partition", "0", "--offset", "2", "--max-messages", "2", "--print-offset");
    assertThat(consumed.exitCode()).as(consumed.toString()).isZero();
    assertThat(consumed.out().lines().toList()).containsExactly("2\tthree", "3\tfour");
  }

  @Test
  void badRequestsFailWithOneLineAndNonZeroExit() {
    CliResult tooManyReplicas = ordo("", "topic", "create", "wide", "--partitions", "1", "--replication-factor", "5");
    assertThat(tooManyReplicas.exitCode()).isEqualTo(1);
    assertThat(tooManyReplicas.err()).contains("replication factor 5").contains("live nodes");

    CliResult badName = ordo("", "topic", "create", "no/slashes", "--partitions", "1", "--replication-factor", "1");
    assertThat(badName.exitCode()).isNotZero();
    assertThat(badName.err()).contains("only letters");

    CliResult unknownTopic = ordo("x\n", "produce", "does-not-exist");
    assertThat(unknownTopic.exitCode()).isEqualTo(1);
    assertThat(unknownTopic.err()).contains("does-not-exist");

    assertThat(ordo("", "topic", "create", "short", "--partitions", "1", "--replication-factor", "3").exitCode()).isZero();
    CliResult pastTheEnd = ordo("", "consume", "short", "--partition", "0", "--offset", "99", "--max-messages", "1");
    assertThat(pastTheEnd.exitCode()).isEqualTo(1);
    assertThat(pastTheEnd.err()).contains("99");
  }

  @Test
  void clusterStatusListsEveryNodeAlive() {
    CliResult status = ordo("", "cluster", "status", "--output", "json");
    assertThat(status.exitCode()).as(status.toString()).isZero();
    for (int node = 1; node <= 3; node++) {
      assertThat(status.out()).contains(cluster.clientAddress(node));
    }
    assertThat(status.out()).doesNotContain("\"alive\":false").doesNotContain("\"alive\": false");
  }

  @Test
  void groupCommandsReadCommitDescribeResetAndDelete() {
    assertThat(ordo("", "topic", "create", "tasks", "--partitions", "2", "--replication-factor", "3").exitCode()).isZero();
    assertThat(ordo("a:1\nb:2\nc:3\nd:4\n", "produce", "tasks", "--key-separator", ":").exitCode()).isZero();

    CliResult first = ordo("", "consume", "tasks", "--group", "crew", "--max-messages", "4", "--timeout-ms", "20000");
    assertThat(first.exitCode()).as(first.toString()).isZero();
    assertThat(first.out().lines()).containsExactlyInAnyOrder("1", "2", "3", "4");
    CliResult again = ordo("", "consume", "tasks", "--group", "crew", "--timeout-ms", "3000");
    assertThat(again.out()).as("the group committed what it printed").isEmpty();

    CliResult described = ordo("", "group", "describe", "crew", "--output", "json");
    assertThat(described.exitCode()).as(described.toString()).isZero();
    assertThat(described.out()).contains("\"partition\":0", "\"partition\":1", "\"lag\":0", "\"committedOffset\"",
        "\"endOffset\"", "\"owner\"");
    assertThat(ordo("", "group", "list").out()).contains("crew");

    CliResult reset = ordo("", "group", "reset-offsets", "crew", "--topic", "tasks", "--to-earliest");
    assertThat(reset.exitCode()).as(reset.toString()).isZero();
    CliResult replay = ordo("", "consume", "tasks", "--group", "crew", "--max-messages", "4", "--timeout-ms", "20000");
    assertThat(replay.out().lines()).as("read again after the reset").hasSize(4);

    CliResult unknown = ordo("", "group", "describe", "nobody");
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.err()).contains("group 'nobody' does not exist");
    CliResult badName = ordo("", "consume", "tasks", "--group", "no spaces");
    assertThat(badName.exitCode()).isEqualTo(1);
    assertThat(badName.err()).contains("group name 'no spaces'");
    assertThat(ordo("", "consume", "tasks", "--group", "crew", "--offset", "3").exitCode()).as("usage").isEqualTo(2);

    CliResult deleted = ordo("", "group", "delete", "crew");
    assertThat(deleted.exitCode()).as(deleted.toString()).isZero();
    assertThat(ordo("", "group", "list").out()).doesNotContain("crew");
    CliResult fresh = ordo("", "consume", "tasks", "--group", "crew", "--max-messages", "4", "--timeout-ms", "20000");
    assertThat(fresh.out().lines()).as("a deleted group starts over").hasSize(4);
  }

  @Test
  void twoQueueConsumersShareTheRecordsAndANackedRecordComesBack() throws Exception {
    assertThat(ordo("", "topic", "create", "chores", "--partitions", "2", "--replication-factor", "3").exitCode()).isZero();
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      lines.append("chore-").append(i).append('\n');
    }
    assertThat(ordo(lines.toString(), "produce", "chores").exitCode()).isZero();
    CliResult created = ordo("", "queue", "create", "helpers", "--topic", "chores", "--backoff-ms", "100");
    assertThat(created.exitCode()).as(created.toString()).isZero();

    var first = CompletableFuture.supplyAsync(
        () -> ordo("", "consume", "chores", "--queue", "helpers", "--timeout-ms", "3000"));
    var second = CompletableFuture.supplyAsync(
        () -> ordo("", "consume", "chores", "--queue", "helpers", "--timeout-ms", "3000"));
    List<String> a = first.get().out().lines().toList();
    List<String> b = second.get().out().lines().toList();
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    assertThat(all).as("every record once between them").hasSize(40).doesNotHaveDuplicates();

    assertThat(ordo("chore-40\n", "produce", "chores").exitCode()).isZero();
    CliResult nacked = ordo("", "consume", "chores", "--queue", "helpers", "--settle", "nack", "--max-messages", "1",
        "--timeout-ms", "10000");
    assertThat(nacked.out().lines()).containsExactly("chore-40");
    CliResult retried = ordo("", "consume", "chores", "--queue", "helpers", "--max-messages", "1", "--timeout-ms", "10000");
    assertThat(retried.out().lines()).as("delivered again after its back-off").containsExactly("chore-40");

    CliResult described = ordo("", "queue", "describe", "helpers", "--output", "json");
    assertThat(described.out()).as(described.toString()).contains("\"kind\":\"queue\"").contains("\"acked\":");
    assertThat(ordo("", "group", "describe", "helpers").out()).contains("IN-FLIGHT").contains("REDELIVERED");
    assertThat(ordo("", "group", "list").out()).containsPattern("helpers +queue");

    // One delivery allowed: a nack dead-letters the record; list it, redrive it, receive it again.
    assertThat(ordo("", "queue", "create", "strict", "--topic", "chores", "--max-deliveries", "1").exitCode()).isZero();
    assertThat(ordo("", "consume", "chores", "--queue", "strict", "--settle", "nack", "--max-messages", "41",
        "--timeout-ms", "10000").out().lines()).hasSize(41);
    CliResult dead = ordo("", "dlq", "list", "strict", "--topic", "chores", "--output", "json");
    assertThat(dead.out()).as(dead.toString()).contains("\"value\":\"chore-40\"").contains("MAX_DELIVERIES");
    // Each is exported to chores.dlq too, once it is created and the export has run.
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      CliResult exported = ordo("", "consume", "chores.dlq", "--from-beginning", "--print-headers", "--max-messages",
          "42", "--timeout-ms", "2000");
      assertThat(exported.out().lines()).as(exported.toString()).hasSize(41)
          .allMatch(line -> line.contains("ordo.dlq.topic=chores;") && line.contains("ordo.dlq.group=strict;"));
    });
    assertThat(ordo("", "dlq", "redrive", "strict").out()).contains("redrove 41 dead letters");
    assertThat(ordo("", "consume", "chores", "--queue", "strict", "--settle", "none", "--max-messages", "41",
        "--timeout-ms", "10000").out().lines()).as("redriven").hasSize(41);
    assertThat(ordo("", "dlq", "list", "strict", "--topic", "other").exitCode()).as("wrong topic").isEqualTo(2);

    assertThat(ordo("", "queue", "create", "helpers", "--topic", "chores").err()).contains("already exists");
    assertThat(ordo("", "consume", "chores", "--queue", "helpers", "--settle", "maybe").exitCode()).as("usage").isEqualTo(2);
  }
}
