package io.ordo.raft.metadata;

import io.ordo.proto.raft.v1.PartitionPlacement;
import io.ordo.proto.raft.v1.TopicRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses the replicas of a new topic's partitions. Partition p's replicas are the nodes (sorted by
 * id) read round-robin from position start + p, so each node holds the same number of replicas
 * (within one) and is preferred leader (first replica) of the same number of partitions. The start
 * is the node that is preferred leader least often among existing topics, which keeps leaders
 * balanced across topics too.
 */
public final class Placement {
  private Placement() {}

  public static List<PartitionPlacement> assign(
      List<Integer> sortedNodeIds, Collection<TopicRecord> existing, int partitions, int replicationFactor) {
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
    List<PartitionPlacement> out = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      PartitionPlacement.Builder placement = PartitionPlacement.newBuilder().setPartition(p);
      for (int r = 0; r < replicationFactor; r++) {
        placement.addReplicas(sortedNodeIds.get((start + p + r) % n));
      }
      out.add(placement.build());
    }
    return out;
  }
}
