package io.ordo.client;

import java.util.List;

/**
 * A group as listed: its name, the topics its members read, and how many stream-group members are
 * live.
 *
 * @param queue a queue group ({@link OrdoClient#queueConsumer}), not a stream group
 */
public record GroupSummary(String name, List<String> topics, int members, boolean queue) {}
