package io.ordo.raft.metadata;

import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.TopicRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chooses the replicas of a new topic's partitions. Partition p's preferred leader (first replica)
 * is the node at position start + p of the nodes sorted by id, so every node leads the same number
 * of partitions (within one); its followers are the nodes with the least load so far, counting the
 * partitions each will lead (ties broken in ring order after the leader), so every node holds the
 * same number of replicas (within one). The start is the node that is preferred leader least often among existing topics,
 * which keeps leaders balanced across topics too.
 *
 * <p>Rack-aware: a follower goes first to a node on a rack the partition has no replica on yet,
 * the least loaded of those; only when every rack has one does load alone decide. Nodes without a
 * rack share the rack "" (so without racks, placement is by load alone).
 */
public final class Placement {
  private Placement() {}

  public static List<PartitionPlacement> assign(
      List<Integer> sortedNodeIds, Collection<TopicRecord> existing, int partitions, int replicationFactor) {
    return assign(sortedNodeIds, Map.of(), existing, partitions, replicationFactor);
  }

  /** @param racks node id to rack; a node absent has none */
  public static List<PartitionPlacement> assign(
      List<Integer> sortedNodeIds,
      Map<Integer, String> racks,
      Collection<TopicRecord> existing,
      int partitions,
      int replicationFactor) {
    int n = sortedNodeIds.size();
    if (replicationFactor > n) {
      throw new IllegalArgumentException("replication factor " + replicationFactor + " above " + n + " nodes");
    }
    Map<Integer, Integer> preferredCount = new HashMap<>();
    for (TopicRecord t : existing) {
      for (PartitionPlacement p : t.getPartitionsList()) {
        if (p.getReplicasCount() > 0) {
          preferredCount.merge(p.getReplicas(0), 1, Integer::sum);
        }
      }
    }
    int start = 0;
    for (int i = 1; i < n; i++) {
      if (preferredCount.getOrDefault(sortedNodeIds.get(i), 0)
          < preferredCount.getOrDefault(sortedNodeIds.get(start), 0)) {
        start = i;
      }
    }
    // Every node's final load: the partitions it will lead, plus the follower replicas given so far.
    int[] replicaCount = new int[n];
    for (int p = 0; p < partitions; p++) {
      replicaCount[(start + p) % n]++;
    }
    List<PartitionPlacement> out = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      int leader = (start + p) % n;
      PartitionPlacement.Builder placement = PartitionPlacement.newBuilder().setPartition(p);
      placement.addReplicas(sortedNodeIds.get(leader));
      boolean[] taken = new boolean[n];
      taken[leader] = true;
      Set<String> racksUsed = new HashSet<>();
      racksUsed.add(rackOf(racks, sortedNodeIds.get(leader)));
      for (int r = 1; r < replicationFactor; r++) {
        int best = -1;
        boolean bestOnNewRack = false;
        for (int step = 1; step < n; step++) {
          int candidate = (leader + step) % n;
          if (taken[candidate]) {
            continue;
          }
          boolean onNewRack = !racksUsed.contains(rackOf(racks, sortedNodeIds.get(candidate)));
          if (best < 0 || beats(onNewRack, replicaCount[candidate], bestOnNewRack, replicaCount[best])) {
            best = candidate;
            bestOnNewRack = onNewRack;
          }
        }
        taken[best] = true;
        racksUsed.add(rackOf(racks, sortedNodeIds.get(best)));
        replicaCount[best]++;
        placement.addReplicas(sortedNodeIds.get(best));
      }
      out.add(placement.build());
    }
    return out;
  }

  /** Whether a candidate beats the best so far: a rack the partition lacks first, then fewer replicas. */
  static boolean beats(boolean onNewRack, int load, boolean bestOnNewRack, int bestLoad) {
    return onNewRack != bestOnNewRack ? onNewRack : load < bestLoad;
  }

  static String rackOf(Map<Integer, String> racks, int nodeId) {
    return racks.getOrDefault(nodeId, "");
  }
}
