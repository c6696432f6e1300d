package io.ordo.client;

/**
 * Where an acknowledged record was written.
 *
 * @param topic the topic
 * @param partition the partition
 * @param offset the record's offset in the partition
 * @param timestampMs the commit time of the record's batch by the partition leader's clock
 */
public record RecordMetadata(String topic, int partition, long offset, long timestampMs) {}
