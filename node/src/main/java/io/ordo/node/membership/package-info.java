/**
 * Cluster membership, driven by the metadata leader and recorded in the metadata: nodes joining
 * the cluster (registered, then replicated the metadata log as non-voting learners) and partitions
 * moving between nodes (their Raft groups changing members).
 */
package io.ordo.node.membership;
