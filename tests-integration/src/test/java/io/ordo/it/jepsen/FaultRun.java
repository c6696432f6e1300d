package io.ordo.it.jepsen;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.header;
import static io.ordo.it.cluster.ClusterChecks.readAll;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.DeadLetterRecord;
import io.ordo.client.GroupInfo;
import io.ordo.client.OrdoClient;
import io.ordo.client.UnknownTopicException;
import io.ordo.it.checker.CheckResult;
import io.ordo.it.checker.LogChecker;
import io.ordo.it.checker.QueueCheckResult;
import io.ordo.it.checker.QueueChecker;
import io.ordo.it.cluster.ClusterChecks;
import io.ordo.it.cluster.FaultableCluster;
import io.ordo.it.cluster.NodeLogs;
import io.ordo.it.history.History;
import io.ordo.it.history.Op;
import io.ordo.it.history.PartitionRead;
import io.ordo.it.history.QueueEvent;
import io.ordo.it.nemesis.Nemesis;
import io.ordo.it.nemesis.Schedule;
import io.ordo.it.workload.FetchingReaders;
import io.ordo.it.workload.FollowingReaders;
import io.ordo.it.workload.GroupReaders;
import io.ordo.it.workload.QueueWorkers;
import io.ordo.it.workload.Writers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One run: writers, readers, members of a stream group and workers of a key-ordered queue group
 * (on a topic of its own) under a nemesis for a while, everything healed, then the whole log read
 * by two fresh clients, the group's committed offsets and the queue's dead letters, all checked
 * against the history.
 */
final class FaultRun {
  static final String TOPIC = "jepsen";
  private static final Duration FULLY_REPLICATED_WAIT = Duration.ofSeconds(90);
  private static final int PARTITIONS = 4;
  private static final int WRITERS = 3;
  private static final int RATE_PER_WRITER = 100;
  private static final int READERS = 2;
  /** Readers' process numbers in the history start here, after the writers'. */
  private static final int FIRST_READER = 100;
  private static final int GROUP_MEMBERS = 3;
  private static final int FIRST_GROUP_MEMBER = 200;
  private static final int QUEUE_WORKERS = 3;
  private static final int FIRST_QUEUE_WORKER = 300;
  /** After the heal, the queue's workers must finish a record at least this often until none is left... */
  private static final Duration QUEUE_DRAIN_STALL = Duration.ofSeconds(30);
  /** ...and all of them within this. */
  private static final Duration QUEUE_DRAIN_LIMIT = Duration.ofSeconds(240);

  /** Node log lines that tell how moves and rejoins went: ours, our errors, jraft's about its members. */
  private static final Pattern MEMBERSHIP_LINES = Pattern.compile(
      "MembershipDriver|NewStorage|NodeJoins|ERROR +\\[[^]]*\\] i\\.o\\.|NodeImpl - .*(catch|caughtUp|change peers)");

  private FaultRun() {}

  static RunResult execute(
      Scenario scenario, FaultableCluster cluster, Duration duration, long seed, Path reportDir) throws Exception {
    History history = new History();
    Random random = new Random(seed);
    try (OrdoClient admin = cluster.clientBuilder().requestTimeout(Duration.ofSeconds(5)).build()) {
      awaitHealthy(admin, cluster.size());
      admin.admin().createTopic(TOPIC, PARTITIONS, 3);
      awaitLeaders(admin, TOPIC);
      QueueWorkers.create(admin);
      awaitLeaders(admin, QueueWorkers.TOPIC);

      List<PartitionRead> observed;
      boolean drained;
      List<QueueEvent> queueEvents;
      try (QueueWorkers queue = new QueueWorkers(cluster::clientBuilder, QUEUE_WORKERS, FIRST_QUEUE_WORKER, history::now, seed);
          FollowingReaders readers = new FollowingReaders(cluster::clientBuilder, TOPIC, PARTITIONS)) {
        Writers writers = new Writers(cluster::clientBuilder, TOPIC, WRITERS, RATE_PER_WRITER, scenario.idempotent(), history);
        FetchingReaders fetchers = new FetchingReaders(cluster::clientBuilder, TOPIC, PARTITIONS, READERS, FIRST_READER, history);
        GroupReaders members = new GroupReaders(cluster::clientBuilder, TOPIC, GROUP_MEMBERS, FIRST_GROUP_MEMBER, history, seed);
        Nemesis nemesis = new Nemesis(cluster, admin, TOPIC, random, history);
        Schedule schedule = new Schedule(nemesis, scenario.faults(), Duration.ofSeconds(4), Duration.ofSeconds(6), random);
        writers.start();
        fetchers.start();
        members.start();
        queue.start();
        schedule.start();
        try {
          TimeUnit.MILLISECONDS.sleep(duration.toMillis());
        } finally {
          schedule.close();
          // Writes keep going a little after the heal, so the report shows recovery.
          TimeUnit.SECONDS.sleep(3);
          writers.close();
          queue.stopFeeding();
          fetchers.close();
          members.close();
        }
        awaitHealthy(admin, cluster.size());
        awaitLeaders(admin, TOPIC);
        // Healed, every partition gets all its replicas back (and finishes any move).
        awaitFullyReplicated(admin, cluster, history);
        observed = readers.seen();
        drained = queue.drain(admin, QUEUE_DRAIN_STALL, QUEUE_DRAIN_LIMIT);
        queue.close();
        queueEvents = queue.events();
      }
      Map<Integer, List<PartitionRead>> finalA = finalRead(cluster, TOPIC, PARTITIONS);
      Map<Integer, List<PartitionRead>> finalB = finalRead(cluster, TOPIC, PARTITIONS);
      Map<Integer, Long> committed = committedOffsets(admin);
      CheckResult log = LogChecker.check(history.ops(), finalA, finalB, observed, committed, scenario.idempotent());
      QueueCheckResult queues = QueueChecker.check(
          queueEvents, finalRead(cluster, QueueWorkers.TOPIC, QueueWorkers.PARTITIONS), deadLetters(admin),
          exportedDeadLetters(admin), QueueWorkers::keyOf, drained);
      RunResult result = new RunResult(log, queues);
      Report.write(reportDir, scenario, seed, duration.toSeconds(), result, history.ops(), queueEvents, finalA);
      return result;
    }
  }

  /**
   * As {@link ClusterChecks#awaitFullyReplicated}; a timeout's failure also names the run's faults
   * and the nodes' last membership and warning lines.
   */
  private static void awaitFullyReplicated(OrdoClient admin, FaultableCluster cluster, History history) {
    try {
      ClusterChecks.awaitFullyReplicated(admin, TOPIC, FULLY_REPLICATED_WAIT);
    } catch (ConditionTimeoutException e) {
      String faults = history.ops().stream()
          .filter(op -> op.process() == Op.NEMESIS)
          .map(op -> String.format(Locale.ROOT, "%.1f s %s %s", op.timeNanos() / 1e9, op.f(), op.value()))
          .collect(Collectors.joining("; "));
      throw new AssertionError(e.getMessage() + "\nfaults: " + faults
          + NodeLogs.tail(cluster.logDirectory(), MEMBERSHIP_LINES, 10), e);
    }
  }

  /** The group's committed offsets, once its members have left; -1 where it has none. */
  private static Map<Integer, Long> committedOffsets(OrdoClient admin) {
    Map<Integer, Long> out = new TreeMap<>();
    for (GroupInfo.PartitionOffset p : admin.admin().describeGroup(GroupReaders.GROUP).partitions()) {
      out.put(p.partition(), p.committedOffset());
    }
    return out;
  }

  /** The queue group's dead letters, as "partition@offset". */
  private static Set<String> deadLetters(OrdoClient admin) {
    Set<String> out = new HashSet<>();
    for (DeadLetterRecord d : admin.admin().deadLetters(QueueWorkers.GROUP, Integer.MAX_VALUE)) {
      out.add(d.record().partition() + "@" + d.record().offset());
    }
    return out;
  }

  /**
   * How often each source record ("partition@offset") is in the group's dead-letter topic; none
   * if the topic was never created (no record died).
   */
  private static Map<String, Integer> exportedDeadLetters(OrdoClient admin) {
    String topic = QueueWorkers.TOPIC + ".dlq";
    Map<String, Integer> out = new TreeMap<>();
    int partitions;
    try {
      partitions = admin.admin().describeTopic(topic).partitions().size();
    } catch (UnknownTopicException e) {
      return out;
    }
    for (int p = 0; p < partitions; p++) {
      for (ConsumerRecord r : readAll(admin, topic, p)) {
        out.merge(header(r, "ordo.dlq.partition").orElse("?") + "@" + header(r, "ordo.dlq.offset").orElse("?"), 1, Integer::sum);
      }
    }
    return out;
  }

  /** The whole of {@code topic}, read by a client of its own. */
  private static Map<Integer, List<PartitionRead>> finalRead(FaultableCluster cluster, String topic, int partitions) {
    Map<Integer, List<PartitionRead>> out = new TreeMap<>();
    try (OrdoClient reader = cluster.clientBuilder().build()) {
      for (int p = 0; p < partitions; p++) {
        List<PartitionRead> reads = new ArrayList<>();
        for (ConsumerRecord r : readAll(reader, topic, p)) {
          reads.add(new PartitionRead(p, r.offset(), r.valueAsString()));
        }
        out.put(p, reads);
      }
    }
    return out;
  }
}
