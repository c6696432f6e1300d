package io.ordo.it.jepsen;

import static io.ordo.it.nemesis.Fault.BRIDGE;
import static io.ordo.it.nemesis.Fault.ISOLATE_LEADER;
import static io.ordo.it.nemesis.Fault.ISOLATE_ONE;
import static io.ordo.it.nemesis.Fault.KILL_METADATA_LEADER;
import static io.ordo.it.nemesis.Fault.KILL_PARTITION_LEADER;
import static io.ordo.it.nemesis.Fault.KILL_RANDOM;
import static io.ordo.it.nemesis.Fault.LOSSY_LINK;
import static io.ordo.it.nemesis.Fault.MOVE_PARTITION;
import static io.ordo.it.nemesis.Fault.PARTITION_HALVES;
import static io.ordo.it.nemesis.Fault.PAUSE_LEADER;
import static io.ordo.it.nemesis.Fault.PAUSE_RANDOM;
import static io.ordo.it.nemesis.Fault.SKEW_CLOCK;
import static io.ordo.it.nemesis.Fault.SLOW_LEADER;
import static io.ordo.it.nemesis.Fault.SLOW_NODE;
import static io.ordo.it.nemesis.Fault.WIPE_AND_RESTART;
import static io.ordo.it.nemesis.Fault.WIPE_FOLLOWER_THEN_KILL_LEADER;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.it.cluster.DockerCluster;
import io.ordo.it.nemesis.Fault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Jepsen-style runs on Docker clusters: each scenario's faults on a schedule while writers and
 * readers work, then the checker's verdict. A run fails on any safety anomaly; its report is in
 * target/jepsen/&lt;scenario&gt;. Replay one with -Dordo.jepsen.seed=N -Dordo.jepsen.only=NAME;
 * lengthen runs with -Dordo.jepsen.seconds=N (the jepsen-long profile sets 600).
 */
@Execution(ExecutionMode.SAME_THREAD)
class FaultInjectionTest {
  private static final List<Fault> ALL = List.of(Fault.values());
  /**
   * Scenarios run only when named in ordo.jepsen.only: disk-loss's faults are among the mixed
   * scenarios' (CI time is kept for them).
   */
  private static final Set<String> ON_DEMAND = Set.of("disk-loss");
  private static final double MIN_AVAILABILITY = 0.9;
  private static final Set<String> OVERLAPPING_FAULTS =
      Set.of("mixed", "mixed-not-idempotent", "mixed-5-nodes", "moves-5-nodes", "disk-loss");
  /** Bytes a partition leader holds for commit before refusing writes: a few dozen of the writers' records. */
  private static final Map<String, String> SMALL_PENDING_CAP = Map.of("--max-pending-bytes-per-partition", "4096");

  private static final Map<String, String> FREQUENT_SNAPSHOTS =
      Map.of("--snapshot-interval-secs", "2", "--snapshot-log-index-margin", "5");

  static Stream<Scenario> scenarios() {
    String only = System.getProperty("ordo.jepsen.only", "");
    return Stream.of(
            new Scenario("kill-leader", 3, List.of(KILL_PARTITION_LEADER, KILL_METADATA_LEADER), true),
            new Scenario("pause", 3, List.of(PAUSE_RANDOM, PAUSE_LEADER), true),
            new Scenario("partition-halves", 3, List.of(PARTITION_HALVES, BRIDGE), true),
            new Scenario("isolate-leader", 3, List.of(ISOLATE_LEADER, ISOLATE_ONE), true),
            // Slow links hold writes back from commit, so a leader with a small pending cap refuses
            // some requests of a producer's pipeline while it takes the ones before: the producer
            // must resend from the refused one and keep every key's order.
            new Scenario("slow-links", 3, List.of(SLOW_LEADER, SLOW_NODE, LOSSY_LINK), true, SMALL_PENDING_CAP),
            new Scenario("clock-skew", 3, List.of(SKEW_CLOCK, KILL_PARTITION_LEADER), true),
            // Nodes lose their disks, and a partition's leader dies right after its follower did:
            // the wiped node must not count as the replica it was (it rejoins each group as a new
            // incarnation), or the survivors could elect a leader without acknowledged records.
            // With snapshots every few seconds it catches up from copies the leaders export.
            new Scenario("disk-loss", 3, List.of(WIPE_FOLLOWER_THEN_KILL_LEADER, WIPE_AND_RESTART), true, FREQUENT_SNAPSHOTS),
            // Snapshots every few seconds: a wiped or lagging replica catches up from a copy the
            // leader exports (its state ahead of the snapshot), a killed one restarts from a flush.
            new Scenario("mixed", 3, ALL, true, FREQUENT_SNAPSHOTS),
            new Scenario("mixed-not-idempotent", 3, List.of(KILL_RANDOM, PARTITION_HALVES, PAUSE_RANDOM), false),
            new Scenario("mixed-5-nodes", 5, ALL, true),
            // Partitions move between nodes (Raft membership change), their leaders killed mid-move.
            new Scenario("moves-5-nodes", 5, List.of(MOVE_PARTITION, MOVE_PARTITION, ISOLATE_LEADER), true),
            // TLS on every port (the Raft port's mutual TLS reconnecting after each cut), clients
            // authenticated and ACLs checked on every call: nothing of it may cost a record.
            new Scenario("secured", 3, List.of(PARTITION_HALVES, KILL_PARTITION_LEADER, ISOLATE_LEADER), true, Map.of(), true))
        .filter(s -> only.isEmpty() ? !ON_DEMAND.contains(s.name()) : List.of(only.split(",")).contains(s.name()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void guaranteesHoldUnderFaults(Scenario scenario) throws Exception {
    long seed = Long.getLong("ordo.jepsen.seed", System.nanoTime());
    Duration duration = Duration.ofSeconds(Long.getLong("ordo.jepsen.seconds", 60));
    Path reports = Path.of("target", "jepsen", scenario.name()).toAbsolutePath();
    System.out.printf("fault run %s: seed %d, %d s (replay: -Dordo.jepsen.only=%s -Dordo.jepsen.seed=%d)%n",
        scenario.name(), seed, duration.toSeconds(), scenario.name(), seed);
    RunResult result;
    try (DockerCluster cluster = scenario.secured()
        ? DockerCluster.startSecured("jepsen-" + scenario.name(), scenario.nodes(), scenario.nodeOptions())
        : DockerCluster.start("jepsen-" + scenario.name(), scenario.nodes(), scenario.nodeOptions())) {
      result = FaultRun.execute(scenario, cluster, duration, seed, reports);
    }
    System.out.println(result.summary());
    assertThat(result.valid()).as("%s (seed %d; report in %s)\n%s", scenario.name(), seed, reports, result.summary())
        .isTrue();
    assertThat(result.log().acknowledged()).as("the cluster acknowledged writes during the run").isPositive();
    assertThat(result.log().healsWithoutRecovery()).as("every heal was followed by a successful write").isZero();
    // A tripwire, not a target: each fault leaves a connected majority, so a write fails only when
    // its partition goes leaderless for most of the writers' 15 s delivery timeout. Healthy runs
    // score 0.99-1.000, also beside a CPU hog; 5 s partition election timeouts scored 0.85-0.96.
    // Not in the mixed scenarios: a node still restarting when the next fault cuts off another
    // leaves partitions without a quorum for a while (mixed-5-nodes scored 0.88 in a healthy CI);
    // nor in disk-loss, where a partition whose leader dies before the wiped node caught up must wait;
    // nor in moves-5-nodes, where a move's leader is killed while a node killed by the last move
    // is still starting (11 s on a loaded CI machine): seed 7904151777870 scored 0.881-0.897 on
    // this version and on the one before it.
    if (!OVERLAPPING_FAULTS.contains(scenario.name())) {
      assertThat(result.log().availability()).as("share of writes acknowledged").isGreaterThanOrEqualTo(MIN_AVAILABILITY);
    }
  }
}
