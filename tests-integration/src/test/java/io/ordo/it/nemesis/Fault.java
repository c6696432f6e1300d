package io.ordo.it.nemesis;

/** The faults a nemesis can apply. Each is healed before the next one starts. */
public enum Fault {
  /** SIGKILL a random node; heal: start it. */
  KILL_RANDOM,
  /** SIGKILL the leader of a random partition; heal: start it. */
  KILL_PARTITION_LEADER,
  /** SIGKILL the metadata group's leader; heal: start it. */
  KILL_METADATA_LEADER,
  /** Freeze a random node; heal: resume it. */
  PAUSE_RANDOM,
  /** Freeze the leader of a random partition; heal: resume it. */
  PAUSE_LEADER,
  /** Cut one random node off from all others. */
  ISOLATE_ONE,
  /** Cut the leader of a random partition off from all others. */
  ISOLATE_LEADER,
  /** Split the nodes into a random majority and minority. */
  PARTITION_HALVES,
  /** Two sides that cannot see each other and a node that sees both. */
  BRIDGE,
  /** Drop 30% of the packets a random node receives. */
  LOSSY_LINK,
  /** Throttle a random node's links to its peers: packets queue for up to a second, then drop. */
  SLOW_NODE,
  /** Throttle the links of the leader of a random partition. */
  SLOW_LEADER,
  /**
   * SIGKILL a random node and delete its data; heal: start it empty (it rejoins as a new
   * incarnation). Only while every partition has all its replicas in sync: a second disk lost
   * before the first one's node caught up loses what only those two held, which no replication
   * survives; the fault is skipped then.
   */
  WIPE_AND_RESTART,
  /**
   * The "wipe a follower, then kill the leader": a random partition's other followers are
   * cut off for 2 s (so only its leader and one follower hold the writes of those seconds), that
   * follower is SIGKILLed, wiped and started empty, the leader SIGKILLed, and the network healed.
   * The two survivors are a majority of nodes, but one of them holds nothing it acknowledged:
   * counting it would elect a leader without those writes. Heal: start the leader. As
   * WIPE_AND_RESTART, only while every partition is whole.
   */
  WIPE_FOLLOWER_THEN_KILL_LEADER,
  /**
   * Restart a random node with its wall clock 10-30 s ahead of or behind the others'
   * (libfaketime); heal: restart it with the true clock.
   */
  SKEW_CLOCK,
  /**
   * Move a random partition of the workload's topic (ordo topic reassign): one of its replicas is
   * swapped for a node without one, or, when every node has one, its replicas are reordered (its
   * preferred leader changes); then, within a second, SIGKILL the partition's leader while its
   * group changes members; heal: start it (the move goes on by itself).
   */
  MOVE_PARTITION
}
