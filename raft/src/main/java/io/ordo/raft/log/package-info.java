/**
 * The Raft log of every group on a node, in one RocksDB: a replica costs a key range, not a
 * database with its own memtables, WAL and threads. Entries are written with a synced WAL, so
 * concurrent appends of many groups share fsyncs. Implements jraft's {@code LogStorage}; knows
 * nothing of commands or partitions.
 */
package io.ordo.raft.log;
