package io.ordo.it.nemesis;

import io.ordo.client.OrdoClient;
import io.ordo.client.PartitionInfo;
import io.ordo.it.cluster.FaultableCluster;
import io.ordo.it.history.History;
import io.ordo.it.history.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Applies one fault at a time to a cluster, choosing its victims with a seeded random. */
public final class Nemesis {
  private static final int[] SLOW_RATES_KBIT = {32, 128, 512};

  /** A move's partition leader is killed up to this long after the move is asked for. */
  private static final int MOVE_KILL_DELAY_MS = 1_000;
  /** How long the other followers are cut off before a follower is wiped and its leader killed. */
  private static final Duration LAG_BEFORE_WIPE = Duration.ofSeconds(2);
  /** How long a disk's wipe waits for every partition to be whole again before it is skipped. */
  private static final Duration WHOLE_WAIT = Duration.ofSeconds(30);
  /**
   * How long a heal waits for a restarted node to serve. Until it does, the next fault could take a
   * second node of a majority down: a JVM boots in about 3 s on an idle machine, 12 s beside a CPU hog.
   */
  private static final Duration SERVING_WAIT = Duration.ofSeconds(60);

  private final FaultableCluster cluster;
  private final OrdoClient client;
  private final String topic;
  private final Random random;
  private final History history;

  public Nemesis(FaultableCluster cluster, OrdoClient client, String topic, Random random, History history) {
    this.cluster = cluster;
    this.client = client;
    this.topic = topic;
    this.random = random;
    this.history = history;
  }

  /** Applies {@code fault}; returns what heals it. */
  public Runnable apply(Fault fault) {
    int n = cluster.size();
    switch (fault) {
      case KILL_RANDOM:
        return kill(fault, randomNode());
      case KILL_PARTITION_LEADER:
        return kill(fault, partitionLeader());
      case KILL_METADATA_LEADER:
        return kill(fault, metadataLeader());
      case MOVE_PARTITION:
        return move(fault);
      case PAUSE_RANDOM:
        return pause(fault, randomNode());
      case PAUSE_LEADER:
        return pause(fault, partitionLeader());
      case ISOLATE_ONE:
        return isolate(fault, randomNode());
      case ISOLATE_LEADER:
        return isolate(fault, partitionLeader());
      case PARTITION_HALVES: {
        List<Integer> nodes = shuffledNodes();
        Set<Integer> minority = new HashSet<>(nodes.subList(0, (n - 1) / 2));
        Set<Integer> majority = new HashSet<>(nodes.subList((n - 1) / 2, n));
        return partition(fault, minority, majority);
      }
      case BRIDGE: {
        // Two sides of (n-1)/2 nodes each, and one node in neither that sees both.
        List<Integer> nodes = shuffledNodes();
        int side = (n - 1) / 2;
        return partition(fault, new HashSet<>(nodes.subList(0, side)), new HashSet<>(nodes.subList(side, 2 * side)));
      }
      case LOSSY_LINK: {
        int node = randomNode();
        record(fault + " node " + node);
        cluster.lossy(node, 0.3);
        return this::healNetwork;
      }
      case SLOW_NODE:
        return slow(fault, randomNode());
      case SLOW_LEADER:
        return slow(fault, partitionLeader());
      case WIPE_AND_RESTART: {
        if (!everyPartitionWhole()) {
          record(fault + " skipped: a partition lacks a replica");
          return () -> recordHeal("none");
        }
        int node = randomNode();
        record(fault + " node " + node);
        cluster.kill(node);
        cluster.wipe(node);
        return () -> start(node);
      }
      case WIPE_FOLLOWER_THEN_KILL_LEADER:
        return wipeFollowerThenKillLeader(fault);
      case SKEW_CLOCK: {
        int node = randomNode();
        Duration offset = Duration.ofSeconds((random.nextBoolean() ? 1 : -1) * (10 + random.nextInt(21)));
        record(fault + " node " + node + " " + offset.toSeconds() + " s");
        cluster.kill(node);
        cluster.startWithClockOffset(node, offset);
        return () -> {
          cluster.kill(node);
          start(node);
        };
      }
      default:
        throw new IllegalArgumentException(String.valueOf(fault));
    }
  }

  private static void pauseFor(Duration duration) {
    try {
      TimeUnit.MILLISECONDS.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits up to {@link #WHOLE_WAIT} until every partition of the cluster has a leader and all its
   * replicas in sync (a node restarted by the last heal catching up); false if it did not happen.
   */
  private boolean everyPartitionWhole() {
    long deadline = System.nanoTime() + WHOLE_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (client.admin().partitionHealth().unhealthy().isEmpty()) {
          return true;
        }
      } catch (RuntimeException noAnswer) {
        // asked again
      }
      try {
        TimeUnit.MILLISECONDS.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

    private Runnable kill(Fault fault, int node) {
    record(fault + " node " + node);
    cluster.kill(node);
    return () -> start(node);
  }

  private Runnable wipeFollowerThenKillLeader(Fault fault) {
    if (!everyPartitionWhole()) {
      record(fault + " skipped: a partition lacks a replica");
      return () -> recordHeal("none");
    }
    PartitionInfo p;
    try {
      List<PartitionInfo> partitions = client.admin().describeTopic(topic).partitions();
      p = partitions.get(random.nextInt(partitions.size()));
    } catch (RuntimeException e) {
      record(fault + " skipped: " + e.getMessage());
      return () -> recordHeal("none");
    }
    List<Integer> followers = new ArrayList<>(p.replicas().stream().filter(r -> r != p.leader()).toList());
    Collections.shuffle(followers, random);
    int follower = followers.get(0);
    List<Integer> lagging = followers.subList(1, followers.size());
    record(fault + " " + topic + "/" + p.partition() + " follower " + follower + ", leader " + p.leader() + ", lagging " + lagging);
    // The other followers fall behind first, so that the leader and the wiped follower alone hold
    // the last writes (with every follower in sync, only the last few milliseconds' are at stake).
    if (!lagging.isEmpty()) {
      Set<Integer> rest = new HashSet<>();
      for (int i = 1; i <= cluster.size(); i++) {
        rest.add(i);
      }
      rest.removeAll(lagging);
      cluster.partition(new HashSet<>(lagging), rest);
      pauseFor(LAG_BEFORE_WIPE);
    }
    cluster.kill(follower);
    cluster.wipe(follower);
    cluster.start(follower); // boots after the leader is gone
    cluster.kill(p.leader());
    cluster.heal();
    return () -> start(p.leader());
  }

  /** Starts a move of a random partition, then kills its leader while the group changes members. */
  private Runnable move(Fault fault) {
    PartitionInfo p;
    try {
      List<PartitionInfo> partitions = client.admin().describeTopic(topic).partitions();
      p = partitions.get(random.nextInt(partitions.size()));
      List<Integer> target = new ArrayList<>(p.reassigning() ? p.targetReplicas() : p.replicas());
      List<Integer> outside = new ArrayList<>();
      for (int i = 1; i <= cluster.size(); i++) {
        if (!target.contains(i)) {
          outside.add(i);
        }
      }
      if (outside.isEmpty()) {
        Collections.shuffle(target, random);
      } else {
        target.set(random.nextInt(target.size()), outside.get(random.nextInt(outside.size())));
      }
      record(fault + " " + topic + "/" + p.partition() + " " + p.replicas() + " -> " + target);
      client.admin().reassignPartitions(topic, Map.of(p.partition(), target));
    } catch (RuntimeException e) {
      record(fault + " not made: " + e.getMessage());
      return () -> recordHeal("none");
    }
    try {
      TimeUnit.MILLISECONDS.sleep(random.nextInt(MOVE_KILL_DELAY_MS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return kill(fault, p.leader() > 0 ? p.leader() : randomNode());
  }

  private Runnable pause(Fault fault, int node) {
    record(fault + " node " + node);
    cluster.pause(node);
    return () -> {
      cluster.resume(node);
      recordHeal("resume node " + node);
    };
  }

  /** Rates from a link narrower than the workload's traffic to one that barely keeps up. */
  private Runnable slow(Fault fault, int node) {
    int kbitPerSecond = SLOW_RATES_KBIT[random.nextInt(SLOW_RATES_KBIT.length)];
    Duration maxDelay = Duration.ofMillis(200 + random.nextInt(800));
    record(fault + " node " + node + " " + kbitPerSecond + " kbit/s, up to " + maxDelay.toMillis() + " ms");
    cluster.slow(node, kbitPerSecond, maxDelay);
    return this::healNetwork;
  }

  private Runnable isolate(Fault fault, int node) {
    Set<Integer> rest = new HashSet<>();
    for (int i = 1; i <= cluster.size(); i++) {
      if (i != node) {
        rest.add(i);
      }
    }
    return partition(fault, Set.of(node), rest);
  }

  private Runnable partition(Fault fault, Set<Integer> a, Set<Integer> b) {
    record(fault + " " + a + " | " + b);
    cluster.partition(a, b);
    return this::healNetwork;
  }

  private void healNetwork() {
    cluster.heal();
    recordHeal("heal network");
  }

  /** Starts a crashed node and waits for it to serve, so the next fault hits a whole cluster. */
  private void start(int node) {
    cluster.start(node);
    recordHeal("start node " + node + " (" + awaitServing(node) + ")");
  }

  /** Heals whatever is left: network faults, paused and crashed nodes. */
  public void healAll() {
    cluster.heal();
    List<Integer> started = new ArrayList<>();
    for (int i = 1; i <= cluster.size(); i++) {
      if (!cluster.isRunning(i)) {
        cluster.start(i);
        started.add(i);
      }
    }
    List<String> waits = started.stream().map(node -> "node " + node + " " + awaitServing(node)).toList();
    recordHeal("heal all" + (waits.isEmpty() ? "" : " (" + String.join(", ", waits) + ")"));
  }

  private String awaitServing(int node) {
    long startNanos = System.nanoTime();
    boolean serving = cluster.awaitServing(node, SERVING_WAIT);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    return serving ? "serving after " + millis + " ms" : "NOT serving after " + millis + " ms";
  }

  private int randomNode() {
    return 1 + random.nextInt(cluster.size());
  }

  private List<Integer> shuffledNodes() {
    List<Integer> nodes = new ArrayList<>();
    for (int i = 1; i <= cluster.size(); i++) {
      nodes.add(i);
    }
    Collections.shuffle(nodes, random);
    return nodes;
  }

  /** The leader of a random partition, or a random node when no leader can be learned right now. */
  private int partitionLeader() {
    try {
      List<PartitionInfo> partitions = client.admin().describeTopic(topic).partitions();
      int leader = partitions.get(random.nextInt(partitions.size())).leader();
      return leader > 0 ? leader : randomNode();
    } catch (RuntimeException e) {
      return randomNode();
    }
  }

  private int metadataLeader() {
    try {
      int leader = client.admin().describeCluster().metadataLeader();
      return leader > 0 ? leader : randomNode();
    } catch (RuntimeException e) {
      return randomNode();
    }
  }

  private void record(String what) {
    history.add(new Op(Op.NEMESIS, Op.Type.INFO, "fault", what, -1, -1, history.now(), null));
  }

  private void recordHeal(String what) {
    history.add(new Op(Op.NEMESIS, Op.Type.INFO, "heal", what, -1, -1, history.now(), null));
  }
}
