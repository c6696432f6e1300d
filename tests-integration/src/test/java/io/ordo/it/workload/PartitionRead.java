package io.ordo.it.workload;

/** A record as a reader saw it: where, and which value. */
public record PartitionRead(int partition, long offset, String value) {}
