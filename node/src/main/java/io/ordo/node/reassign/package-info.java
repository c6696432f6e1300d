/**
 * Partition reassignment: moving a partition's replicas to other nodes by changing its Raft
 * group's members, driven by the metadata leader and recorded in the metadata.
 */
package io.ordo.node.reassign;
