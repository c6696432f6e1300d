package io.ordo.client;

/**
 * Where a sequenced append went: {@code recordCount} records from {@code baseOffset} on. For a
 * repeated append, where the first one went and how many records it had, which may differ from
 * the repeat's own.
 */
public record AppendedRecords(String topic, int partition, long baseOffset, int recordCount, long timestampMs) {}
