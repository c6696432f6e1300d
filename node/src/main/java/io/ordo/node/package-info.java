/**
 * The server: {@link io.ordo.node.OrdoNode} wires storage, Raft groups and gRPC services together
 * and stops them in order; {@link io.ordo.node.OrdoNodeMain} is the {@code ordo-node} command.
 */
package io.ordo.node;
