package io.ordo.it.groups;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.GroupConfig;
import io.ordo.client.GroupConsumer;
import io.ordo.client.GroupInfo;
import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.TopicPartition;
import io.ordo.it.cluster.ProcessCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stream groups on a 3-node cluster of real processes: groups read everything, members split the
 * partitions, and a member or a partition leader killed mid-way loses no committed progress.
 */
class ConsumerGroupTest {
  private static final int PARTITIONS = 6;
  private static final int RECORDS = 600;
  private static final Duration SESSION = Duration.ofSeconds(3);
  private static ProcessCluster cluster;
  private final List<OrdoClient> clients = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    cluster = ProcessCluster.start(ProcessCluster.freshDirectory("ConsumerGroupTest"), 3, Map.of());
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

  @AfterEach
  void closeClients() {
    clients.forEach(OrdoClient::close);
  }

  private OrdoClient client() {
    OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(Duration.ofSeconds(20)).build();
    clients.add(client);
    return client;
  }

  /** A topic with {@link #RECORDS} records, values v-0 .. v-(RECORDS-1), spread by key. */
  private void topicWithRecords(String topic) {
    OrdoClient client = client();
    client.admin().createTopic(topic, PARTITIONS, 3);
    awaitLeaders(client, topic);
    produce(topic, 0, RECORDS);
  }

  /** Values v-from .. v-(to-1), keyed alike, spread over the partitions. */
  private void produce(String topic, int from, int to) {
    try (Producer producer = client().producer()) {
      for (int i = from; i < to; i++) {
        producer.send(ProducerRecord.of(topic, "k" + i, "v-" + i));
      }
      producer.flush();
    }
  }

  private GroupConsumer member(String group, String topic) {
    return client().groupConsumer(GroupConfig.of(group, topic).withSessionTimeout(SESSION));
  }

  /** What a test's members read, polling each in turn and committing after each poll. */
  private static final class Reading {
    final Set<String> seen = new HashSet<>();
    /** The first offset read in each partition. */
    final Map<TopicPartition, Long> firstRead = new HashMap<>();

    void round(List<GroupConsumer> members) {
      for (GroupConsumer member : members) {
        for (ConsumerRecord r : member.poll(Duration.ofMillis(100))) {
          seen.add(r.valueAsString());
          firstRead.putIfAbsent(new TopicPartition(r.topic(), r.partition()), r.offset());
        }
        try {
          member.commit();
        } catch (OrdoException lost) {
          // A partition moved on meanwhile (a slow heartbeat): its new owner reads it again.
        }
      }
    }

    /** Rounds until {@code until} holds, running {@code eachRound} after each. */
    void untilTrue(String what, List<GroupConsumer> members, Runnable eachRound, java.util.function.BooleanSupplier until) {
      await(what)
          .atMost(Duration.ofSeconds(90))
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(1))
          .until(() -> {
            round(members);
            eachRound.run();
            return until.getAsBoolean();
          });
    }

    /** Rounds until {@code count} distinct values were read. */
    Set<String> untilAll(List<GroupConsumer> members, int count, Runnable eachRound) {
      untilTrue("every record read", members, eachRound, () -> seen.size() == count);
      return seen;
    }
  }

  private static void assertAllCommitted(OrdoClient client, String group) {
    await("group " + group + " committed everything")
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .untilAsserted(() -> assertThat(client.admin().describeGroup(group).partitions())
            .hasSize(PARTITIONS)
            .allSatisfy(p -> assertThat(p.lag()).as(p.toString()).isZero()));
  }

  @Test
  void everyGroupReadsEveryRecordAndEachGroupsMembersSplitThePartitions() {
    topicWithRecords("fanout");
    List<GroupConsumer> workers = List.of(member("workers", "fanout"), member("workers", "fanout"), member("workers", "fanout"));
    GroupConsumer auditor = member("audit", "fanout");

    Reading byWorkers = new Reading();
    byWorkers.untilTrue("three workers with two partitions each", workers, () -> {},
        () -> workers.stream().allMatch(w -> w.assignment().size() == 2));
    Set<TopicPartition> all = new HashSet<>();
    workers.forEach(w -> all.addAll(w.assignment()));
    assertThat(all).as("no partition read by two workers").hasSize(PARTITIONS);

    assertThat(byWorkers.untilAll(workers, RECORDS, () -> {})).hasSize(RECORDS);
    assertThat(new Reading().untilAll(List.of(auditor), RECORDS, () -> {})).as("another group reads everything too")
        .hasSize(RECORDS);
    OrdoClient admin = client();
    assertAllCommitted(admin, "workers");
    assertAllCommitted(admin, "audit");
    assertThat(admin.admin().listGroups()).extracting(g -> g.name()).contains("workers", "audit");
  }

  @Test
  void aKilledMembersPartitionsMoveAndNoCommittedOffsetGoesBack() throws Exception {
    topicWithRecords("handover");
    Path printed = Files.createTempFile("ordo-member", ".out");
    Process doomed = cliMember("handover", "movers", printed);
    try {
      await("the member in another process read some records")
          .atMost(Duration.ofSeconds(60))
          .until(() -> Files.readAllLines(printed).size() >= 20);
      GroupConsumer survivor = member("movers", "handover");
      Reading bySurvivor = new Reading();
      bySurvivor.untilTrue("the survivor shares the partitions", List.of(survivor), () -> {},
          () -> !survivor.assignment().isEmpty() && survivor.assignment().size() < PARTITIONS);
      doomed.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // kill -9: no leave, no last commit
      // What the killed member printed (offset TAB value) it committed, or the survivor reads it again.
      Files.readAllLines(printed).forEach(line -> bySurvivor.seen.add(line.substring(line.indexOf('\t') + 1)));
      OrdoClient admin = client();
      CommittedOffsets committed = new CommittedOffsets(admin, "movers");
      Set<TopicPartition> moving = new HashSet<>();
      for (int p = 0; p < PARTITIONS; p++) {
        moving.add(new TopicPartition("handover", p));
      }
      moving.removeAll(survivor.assignment());
      // Nobody commits these now: the killed member cannot, the survivor does not own them yet.
      Map<TopicPartition, Long> lastCommit = new HashMap<>();
      admin.admin().describeGroup("movers").partitions().forEach(p ->
          lastCommit.put(new TopicPartition(p.topic(), p.partition()), Math.max(0, p.committedOffset())));
      moving.forEach(bySurvivor.firstRead::remove);
      bySurvivor.untilTrue("the killed member's partitions move to the survivor", List.of(survivor), committed::check,
          () -> survivor.assignment().size() == PARTITIONS);
      produce("handover", RECORDS, 2 * RECORDS);
      Set<String> read = bySurvivor.untilAll(List.of(survivor), 2 * RECORDS, committed::check);
      assertThat(read).as("between them, every record, those written after the kill too").hasSize(2 * RECORDS);
      for (TopicPartition tp : moving) {
        assertThat(bySurvivor.firstRead.get(tp)).as("the survivor's first read of %s: the killed member's last commit", tp)
            .isEqualTo(lastCommit.get(tp));
      }
      assertAllCommitted(admin, "movers");
      committed.check();
    } finally {
      doomed.destroyForcibly();
    }
  }

  @Test
  void aPartitionLeaderKilledMidwayLosesNoCommittedProgress() {
    topicWithRecords("failover");
    List<GroupConsumer> members = List.of(member("survivors", "failover"), member("survivors", "failover"));
    OrdoClient admin = client();
    CommittedOffsets committed = new CommittedOffsets(admin, "survivors");
    Reading reading = new Reading();
    reading.untilTrue("the members read and committed some", members, committed::check, () -> reading.seen.size() >= 100);
    int leader = admin.admin().describeTopic("failover").partitions().get(0).leader();
    cluster.kill(leader);
    produce("failover", RECORDS, 2 * RECORDS);
    assertThat(reading.untilAll(members, 2 * RECORDS, committed::check)).as("records from before and after the kill")
        .hasSize(2 * RECORDS);
    cluster.start(leader);
    awaitHealthy(admin, 3);
    assertAllCommitted(admin, "survivors");
    committed.check();
  }

  @Test
  void committingAfterProcessingRereadsOnACrashAndCommittingBeforeSkips() {
    topicWithRecords("guarantees");
    // At-least-once: process, then commit. A crash between the two: the next member reads the
    // processed records again, and nothing is missed.
    GroupConsumer first = member("at-least-once", "guarantees");
    List<ConsumerRecord> processed = pollSome(first);
    first.close(); // the crash: stops after processing, before committing
    Set<String> reread = new HashSet<>();
    GroupConsumer next = member("at-least-once", "guarantees");
    reread.addAll(new Reading().untilAll(List.of(next), RECORDS, () -> {}));
    assertThat(reread).as("everything, the processed records again included")
        .containsAll(processed.stream().map(ConsumerRecord::valueAsString).toList()).hasSize(RECORDS);

    // At-most-once: commit, then process. A crash between the two: those records are never
    // processed, and none is processed twice.
    GroupConsumer eager = member("at-most-once", "guarantees");
    List<ConsumerRecord> committedUnprocessed = pollSome(eager);
    eager.commit();
    eager.close(); // the crash: committed, never processed
    GroupConsumer after = member("at-most-once", "guarantees");
    Set<String> rest = new HashSet<>();
    await("the rest read")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(1))
        .until(() -> {
          after.poll(Duration.ofMillis(100)).forEach(r -> rest.add(r.valueAsString()));
          after.commit();
          return rest.size() == RECORDS - committedUnprocessed.size();
        });
    assertThat(rest).doesNotContainAnyElementsOf(committedUnprocessed.stream().map(ConsumerRecord::valueAsString).toList());
  }

  /** Polls until a poll returns records; returns them. */
  private static List<ConsumerRecord> pollSome(GroupConsumer member) {
    List<ConsumerRecord> out = new ArrayList<>();
    await("records").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1))
        .until(() -> out.addAll(member.poll(Duration.ofMillis(200))));
    return out;
  }

  /** `ordo consume TOPIC --group G --print-offset` in a JVM of its own, printing to {@code out}. */
  private static Process cliMember(String topic, String group, Path out) {
    List<String> command = List.of(
        ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
        "io.ordo.cli.OrdoCli", "consume", topic, "--group", group, "--print-offset", "--bootstrap", cluster.bootstrap());
    try {
      return new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The group's committed offsets, sampled again and again: none may ever go back. */
  private static final class CommittedOffsets {
    private final OrdoClient admin;
    private final String group;
    private final Map<TopicPartition, Long> highest = new HashMap<>();

    CommittedOffsets(OrdoClient admin, String group) {
      this.admin = admin;
      this.group = group;
    }

    void check() {
      List<GroupInfo.PartitionOffset> now;
      try {
        now = admin.admin().describeGroup(group).partitions();
      } catch (RuntimeException unavailable) {
        return; // a leader is being elected: nothing to compare this time
      }
      for (GroupInfo.PartitionOffset p : now) {
        TopicPartition tp = new TopicPartition(p.topic(), p.partition());
        long before = highest.getOrDefault(tp, -1L);
        assertThat(p.committedOffset()).as("committed offset of %s went back", tp).isGreaterThanOrEqualTo(before);
        highest.put(tp, p.committedOffset());
      }
    }
  }
}
