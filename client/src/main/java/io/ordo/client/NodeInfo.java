package io.ordo.client;

/**
 * A node of the cluster.
 *
 * @param nodeId the node's id, positive
 * @param clientAddress where clients reach it, host:port
 * @param raftAddress where its peers reach it for replication, host:port
 * @param alive whether the node that answered heard from it just now
 * @param supportedFeatureLevel the highest feature level the node's version supports, 0 when it did
 *     not answer
 * @param decommissioning whether the node is leaving the cluster ({@link Admin#removeNode})
 * @param replicas partitions placed on the node or moving to it
 * @param incarnation how many times the node came back with a new, empty data directory (0 for its
 *     first): it then rejoins each of its partitions' groups, counting once caught up
 * @param rack where the node runs (ordo-node --rack), empty if not given: a partition's replicas
 *     go to distinct racks where there are enough
 * @param metadataFailure why the node's copy of the metadata stopped (it could not apply a
 *     metadata entry or store its log), empty while it runs: mend the cause and restart the node
 */
public record NodeInfo(
    int nodeId,
    String clientAddress,
    String raftAddress,
    boolean alive,
    int supportedFeatureLevel,
    boolean decommissioning,
    int replicas,
    int incarnation,
    String rack,
    String metadataFailure) {}
