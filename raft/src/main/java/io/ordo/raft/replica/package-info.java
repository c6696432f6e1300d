/**
 * What every replicated state machine of a node shares: its binding to a jraft node, its view of
 * leadership (term, leader, live peers), and the errors a replica answers with. No commands, no
 * storage.
 */
package io.ordo.raft.replica;
