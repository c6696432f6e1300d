package io.ordo.client;

import java.util.List;

/**
 * Manages topics and describes the cluster. Any node answers admin calls; the client tries the
 * bootstrap nodes in turn until one does, within the client's request timeout. Thread-safe.
 *
 * <p>A create or delete that is retried after an unknown outcome may report that the topic already
 * exists (or no longer exists) because the first attempt took effect.
 */
public interface Admin {
  /**
   * Creates a topic and returns its description.
   *
   * @throws OrdoException with {@code TOPIC_ALREADY_EXISTS}, {@code INVALID_TOPIC_NAME}, {@code
   *     INVALID_PARTITION_COUNT} or {@code INVALID_REPLICATION_FACTOR}
   */
  TopicInfo createTopic(String name, int partitions, int replicationFactor);

  /**
   * Deletes a topic and its records.
   *
   * @throws UnknownTopicException if there is no such topic
   */
  void deleteTopic(String name);

  /** Every topic, by name. */
  List<TopicSummary> listTopics();

  /**
   * A topic with its partitions' leaders, replicas and offsets.
   *
   * @throws UnknownTopicException if there is no such topic
   */
  TopicInfo describeTopic(String name);

  /** The cluster's nodes and its metadata leader. */
  ClusterInfo describeCluster();
}
