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
        int node = randomNode();
        record(fault + " node " + node);
        cluster.kill(node);
        cluster.wipe(node);
        return () -> start(node);
      }
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

  private Runnable kill(Fault fault, int node) {
    record(fault + " node " + node);
    cluster.kill(node);
    return () -> start(node);
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

  private void start(int node) {
    cluster.start(node);
    recordHeal("start node " + node);
  }

  /** Heals whatever is left: network faults, paused and crashed nodes. */
  public void healAll() {
    cluster.heal();
    for (int i = 1; i <= cluster.size(); i++) {
      if (!cluster.isRunning(i)) {
        cluster.start(i);
      }
    }
    recordHeal("heal all");
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
