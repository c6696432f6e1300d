package io.ordo.client;

/**
 * A topic as {@link Admin#listTopics} lists it.
 *
 * @param name the topic's name
 * @param partitions its number of partitions
 * @param replicationFactor the number of replicas of each partition
 */
public record TopicSummary(String name, int partitions, int replicationFactor) {}
