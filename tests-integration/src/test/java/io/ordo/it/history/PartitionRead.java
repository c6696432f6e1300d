package io.ordo.it.history;

/** A record as a reader saw it: where, and which value. */
public record PartitionRead(int partition, long offset, String value) {}
