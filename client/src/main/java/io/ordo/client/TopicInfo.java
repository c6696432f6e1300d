package io.ordo.client;

import java.util.List;
import java.util.Map;

/**
 * A topic and the state of each of its partitions.
 *
 * @param name the topic's name
 * @param topicId the id the cluster gave the topic; a topic deleted and created again gets a new one
 * @param replicationFactor the number of replicas of each partition
 * @param partitions the partitions, by partition number
 * @param config the topic's own settings by name ({@code retention.ms}, {@code retention.bytes});
 *     one not here takes the nodes' default
 */
public record TopicInfo(
    String name, long topicId, int replicationFactor, List<PartitionInfo> partitions, Map<String, String> config) {
  public TopicInfo {
    partitions = List.copyOf(partitions);
    config = Map.copyOf(config);
  }
}
