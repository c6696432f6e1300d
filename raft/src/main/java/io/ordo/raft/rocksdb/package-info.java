/**
 * Opening and closing a RocksDB with its column families, for the node's two databases (the data
 * store and the Raft log store). Knows nothing of what they hold.
 */
package io.ordo.raft.rocksdb;
