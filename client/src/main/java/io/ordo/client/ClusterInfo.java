package io.ordo.client;

import java.util.List;

/**
 * The cluster's nodes and which of them leads the metadata group.
 *
 * @param nodes the nodes, by id
 * @param metadataLeader the node id of the metadata group's leader, 0 while none is known
 */
public record ClusterInfo(List<NodeInfo> nodes, int metadataLeader) {}
