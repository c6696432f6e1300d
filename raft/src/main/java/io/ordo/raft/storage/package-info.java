/**
 * The node's data store: one RocksDB per node holding every local partition replica's records and
 * state, one column family per kind of data. Knows keys, values and atomic writes; knows nothing
 * of Raft, commands or gRPC. The Raft log is the write-ahead log, so applied writes skip RocksDB's:
 * a crash loses what the memtables held (flushed all at once, so every family stays at one point in
 * time), and each replica then re-applies from the Raft log what its stored state does not cover,
 * or reloads its last snapshot first if the log no longer reaches back that far.
 */
package io.ordo.raft.storage;
