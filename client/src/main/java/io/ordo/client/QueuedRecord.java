package io.ordo.client;

/**
 * A record leased to a {@link QueueConsumer}: settle it before {@code leaseEndsAtMs} (the
 * partition leader's clock; allow a margin), or it is delivered again.
 *
 * @param deliveries 1 on the record's first delivery; more after nacks or ended leases
 */
public record QueuedRecord(ConsumerRecord record, int deliveries, long leaseEndsAtMs) {}
