/**
 * Stream groups' membership and partition assignment: the group coordinator, run by the metadata
 * leader in memory. Nothing here is replicated: a new coordinator starts empty and members rejoin,
 * while what must survive (committed offsets, and which member owns a partition) lives in each
 * partition's state machine. Generations carry the metadata term in their high bits, so every
 * generation a later coordinator hands out is higher than any before it, and a partition's owner
 * fence keeps working across coordinator failovers. Deterministic given the time it is handed.
 */
package io.ordo.node.coordinator;
