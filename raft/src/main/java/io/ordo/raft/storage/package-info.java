/**
 * The node's data store: one RocksDB per node holding every local partition replica's records and
 * state, one column family per kind of data. Knows keys, values and atomic writes; knows nothing
 * of Raft, commands or gRPC. The Raft log is the write-ahead log, so writes here are not fsynced
 * one by one: a replica that loses unsynced writes re-applies them from the Raft log.
 */
package io.ordo.raft.storage;
