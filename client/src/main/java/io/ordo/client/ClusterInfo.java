package io.ordo.client;

import java.util.List;

/**
 * The cluster's nodes, which of them leads the metadata group, and its feature level.
 *
 * @param nodes the nodes, by id
 * @param metadataLeader the node id of the metadata group's leader, 0 while none is known
 * @param featureLevel the cluster's finalized feature level: features newer than it answer
 *     FEATURE_NOT_ENABLED
 */
public record ClusterInfo(List<NodeInfo> nodes, int metadataLeader, int featureLevel) {
  /**
   * Whether every node answered and supports more than {@link #featureLevel}: the metadata leader
   * then raises it within seconds (a fresh or just-upgraded cluster).
   */
  public boolean featureLevelRising() {
    return !nodes.isEmpty()
        && nodes.stream().allMatch(n -> n.alive() && n.supportedFeatureLevel() > featureLevel);
  }
}
