package io.ordo.it.jepsen;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.readAll;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.GroupInfo;
import io.ordo.client.OrdoClient;
import io.ordo.it.checker.CheckResult;
import io.ordo.it.checker.LogChecker;
import io.ordo.it.cluster.FaultableCluster;
import io.ordo.it.history.History;
import io.ordo.it.history.PartitionRead;
import io.ordo.it.nemesis.Nemesis;
import io.ordo.it.nemesis.Schedule;
import io.ordo.it.workload.FetchingReaders;
import io.ordo.it.workload.FollowingReaders;
import io.ordo.it.workload.GroupReaders;
import io.ordo.it.workload.Writers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One run: writers, readers and members of a stream group under a nemesis for a while, everything
 * healed, then the whole log read by two fresh clients and the group's committed offsets, all
 * checked against the history.
 */
final class FaultRun {
  static final String TOPIC = "jepsen";
  private static final int PARTITIONS = 4;
  private static final int WRITERS = 3;
  private static final int RATE_PER_WRITER = 100;
  private static final int READERS = 2;
  /** Readers' process numbers in the history start here, after the writers'. */
  private static final int FIRST_READER = 100;
  private static final int GROUP_MEMBERS = 3;
  private static final int FIRST_GROUP_MEMBER = 200;

  private FaultRun() {}

  static CheckResult execute(
      Scenario scenario, FaultableCluster cluster, Duration duration, long seed, Path reportDir) throws Exception {
    History history = new History();
    Random random = new Random(seed);
    try (OrdoClient admin = OrdoClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(Duration.ofSeconds(5)).build()) {
      awaitHealthy(admin, cluster.size());
      admin.admin().createTopic(TOPIC, PARTITIONS, 3);
      awaitLeaders(admin, TOPIC);

      List<PartitionRead> observed;
      try (FollowingReaders readers = new FollowingReaders(cluster.bootstrap(), TOPIC, PARTITIONS)) {
        Writers writers = new Writers(cluster.bootstrap(), TOPIC, WRITERS, RATE_PER_WRITER, scenario.idempotent(), history);
        FetchingReaders fetchers = new FetchingReaders(cluster.bootstrap(), TOPIC, PARTITIONS, READERS, FIRST_READER, history);
        GroupReaders members = new GroupReaders(cluster.bootstrap(), TOPIC, GROUP_MEMBERS, FIRST_GROUP_MEMBER, history, seed);
        Nemesis nemesis = new Nemesis(cluster, admin, TOPIC, random, history);
        Schedule schedule = new Schedule(nemesis, scenario.faults(), Duration.ofSeconds(4), Duration.ofSeconds(6), random);
        writers.start();
        fetchers.start();
        members.start();
        schedule.start();
        try {
          TimeUnit.MILLISECONDS.sleep(duration.toMillis());
        } finally {
          schedule.close();
          // Writes keep going a little after the heal, so the report shows recovery.
          TimeUnit.SECONDS.sleep(3);
          writers.close();
          fetchers.close();
          members.close();
        }
        awaitHealthy(admin, cluster.size());
        awaitLeaders(admin, TOPIC);
        observed = readers.seen();
      }
      Map<Integer, List<PartitionRead>> finalA = finalRead(cluster);
      Map<Integer, List<PartitionRead>> finalB = finalRead(cluster);
      Map<Integer, Long> committed = committedOffsets(admin);
      CheckResult result = LogChecker.check(history.ops(), finalA, finalB, observed, committed, scenario.idempotent());
      Report.write(reportDir, scenario, seed, duration.toSeconds(), result, history.ops(), finalA);
      return result;
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

  /** The whole log, read by a client of its own. */
  private static Map<Integer, List<PartitionRead>> finalRead(FaultableCluster cluster) {
    Map<Integer, List<PartitionRead>> out = new TreeMap<>();
    try (OrdoClient reader = OrdoClient.builder().bootstrap(cluster.bootstrap()).build()) {
      for (int p = 0; p < PARTITIONS; p++) {
        List<PartitionRead> reads = new ArrayList<>();
        for (ConsumerRecord r : readAll(reader, TOPIC, p)) {
          reads.add(new PartitionRead(p, r.offset(), r.valueAsString()));
        }
        out.put(p, reads);
      }
    }
    return out;
  }
}
