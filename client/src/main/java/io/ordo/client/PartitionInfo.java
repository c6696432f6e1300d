package io.ordo.client;

import java.util.List;
import java.util.Map;

/**
 * One partition of a topic.
 *
 * @param partition the partition number
 * @param leader the node id of the leader, 0 while none is known
 * @param replicas the node ids of the replicas, the preferred leader first
 * @param inSyncReplicas the replicas that answered the leader within its lease (0.9 of the
 *     election timeout), the leader included: alive and reachable, not necessarily caught up
 * @param startOffset the first readable offset
 * @param endOffset the offset the next record will get
 * @param targetReplicas while the partition moves to other nodes ({@link Admin#reassignPartitions}),
 *     the replicas it moves to; empty otherwise
 * @param failedReplicas replicas that stopped because they could not apply an entry or store their
 *     log (a full or failing disk, a bug), by node id, with what each reported; they are out of the
 *     partition's Raft group until their node restarts with the cause mended
 */
public record PartitionInfo(
    int partition,
    int leader,
    List<Integer> replicas,
    List<Integer> inSyncReplicas,
    long startOffset,
    long endOffset,
    List<Integer> targetReplicas,
    Map<Integer, String> failedReplicas) {
  /** Whether the partition is moving to {@link #targetReplicas}. */
  public boolean reassigning() {
    return !targetReplicas.isEmpty();
  }

  /** No leader is known: an election is under way, or fewer than a majority of replicas are alive. */
  public boolean leaderless() {
    return leader == 0;
  }

  /**
   * Led, but the leader heard from fewer than all replicas recently, or a replica failed: writes go
   * on, and one more replica lost may stop them.
   */
  public boolean underReplicated() {
    return leader != 0 && (inSyncReplicas.size() < replicas.size() || !failedReplicas.isEmpty());
  }
}
