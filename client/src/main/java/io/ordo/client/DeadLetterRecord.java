package io.ordo.client;

/**
 * A record a queue group dead-lettered, where it is in its topic, and why.
 *
 * @param deliveries times it was delivered
 * @param reason MAX_DELIVERIES (delivered the group's limit of times) or REJECTED (a consumer rejected it)
 * @param lastError the last reason a consumer gave with a nack or reject
 * @param deadAtMs the partition leader's clock when it was dead-lettered
 */
public record DeadLetterRecord(ConsumerRecord record, int deliveries, String reason, String lastError, long deadAtMs) {}
