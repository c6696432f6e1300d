package io.ordo.client;

import io.ordo.proto.v1.QueuePolicy;
import java.util.List;
import java.util.Map;

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
   * Creates a topic with settings ({@code retention.ms}, {@code retention.bytes}: see
   * ordo.v1.CreateTopicRequest) and returns its description.
   *
   * @throws OrdoException as {@link #createTopic(String, int, int)}, or with {@code INVALID_CONFIG}
   *     for an unknown setting or a bad value, or {@code FEATURE_NOT_ENABLED} (a node runs an older version)
   */
  TopicInfo createTopic(String name, int partitions, int replicationFactor, Map<String, String> config);

  /**
   * Changes a topic's settings: sets those in {@code set}, returns those named in {@code reset} to
   * the nodes' default, and returns the topic's description. Retention applies within seconds.
   *
   * @throws OrdoException with {@code INVALID_CONFIG} or {@code FEATURE_NOT_ENABLED}
   * @throws UnknownTopicException if there is no such topic
   */
  TopicInfo alterTopicConfig(String name, Map<String, String> set, List<String> reset);

  /**
   * Grows a topic to {@code partitions} partitions and returns its description. Keyed records then
   * hash over the new count, so a key's later records may go to another partition than its earlier
   * ones, as in Kafka; producers see the new partitions within {@code metadataMaxAge} (the builder's).
   *
   * <p>A topic that has {@code partitions} already is returned as it is, so a change retried after
   * its answer was lost is no error.
   *
   * @throws OrdoException with {@code INVALID_PARTITION_COUNT} (fewer than now, or too many),
   *     {@code INVALID_REPLICATION_FACTOR} (fewer live nodes than the topic's replicas) or {@code
   *     FEATURE_NOT_ENABLED} (a node runs an older version)
   * @throws UnknownTopicException if there is no such topic
   */
  TopicInfo addPartitions(String name, int partitions);

  /**
   * Moves partitions of a topic to other nodes, or changes how many replicas they have: {@code
   * replicas} maps a partition to its new replicas' node ids, the preferred leader first. Each
   * partition's Raft group adds the new replicas, lets them copy the partition from the leader, then
   * changes its members in one step, so the partition stays writable throughout; the old replicas
   * are then deleted. Returns once the move is recorded: {@link PartitionInfo#targetReplicas()}
   * shows it under way until it is done. A partition moves once at a time: one that is moving is
   * refused until its move is done. The topic's replication factor stays the one for partitions
   * added later.
   *
   * @throws OrdoException with {@code INVALID_REPLICATION_FACTOR} (a node unknown, named twice or
   *     not live, or more replicas than allowed), {@code INVALID_REQUEST} (no such partition) or
   *     {@code FEATURE_NOT_ENABLED} (a node runs an older version)
   * @throws UnknownTopicException if there is no such topic
   */
  TopicInfo reassignPartitions(String topic, Map<Integer, List<Integer>> replicas);

  /**
   * Takes node {@code nodeId} out of the cluster and returns how many partitions move off it: it
   * gets no new replicas, its partitions move to the other live nodes (as {@link
   * #reassignPartitions} moves them), its vote in the metadata group passes to a node that joined
   * later, then it is deregistered. {@link #describeCluster} shows it {@link
   * NodeInfo#decommissioning()} until it is gone; then its process may be stopped.
   *
   * @throws OrdoException with {@code INVALID_REPLICATION_FACTOR} when a partition has a replica on
   *     every other live node or no live node can take its place in the metadata group (add a node
   *     first), {@code INVALID_REQUEST} for an unknown node, or {@code FEATURE_NOT_ENABLED}
   */
  int removeNode(int nodeId);

  /**
   * Deletes a topic and its records.
   *
   * @throws UnknownTopicException if there is no such topic
   */
  void deleteTopic(String name);

  /** Every topic, by name. */
  List<TopicSummary> listTopics();

  /**
   * Creates a user who authenticates with {@code password}, or sets a new password for one. The
   * password never leaves this process: the cluster gets a salted SCRAM-SHA-256 credential
   * derived from it here.
   *
   * @throws OrdoException with {@code INVALID_USER} for a name other than letters, digits, '.',
   *     '_', '-' and '@', or {@code FEATURE_NOT_ENABLED}
   * @throws IllegalArgumentException for an empty password
   */
  void upsertUser(String name, char[] password);

  /**
   * Deletes a user; calls with its password fail from then on.
   *
   * @throws OrdoException with {@code UNKNOWN_USER} if there is no such user
   */
  void deleteUser(String name);

  /** Every user who authenticates with a password, by name. */
  List<UserInfo> listUsers();

  /**
   * Adds ACLs (those that exist already are left as they are). Nodes started with {@code
   * --authorization} allow a call only when an ACL allows its principal the operation on the
   * resource and none denies it.
   *
   * @throws OrdoException with {@code INVALID_ACL} for a missing or contradictory field (no ACL is
   *     added then), {@code LIMIT_REACHED} past 10,000 ACLs, or {@code NOT_AUTHORIZED}
   */
  void addAcls(List<AclBinding> acls);

  /** Removes the ACLs equal to those given; returns how many there were. */
  int removeAcls(List<AclBinding> acls);

  /** Every ACL, or those of {@code principal} and of the resource given (null: any). */
  List<AclBinding> listAcls(String principal, AclBinding.Resource resource, String resourceName);

  /**
   * A topic with its partitions' leaders, replicas and offsets.
   *
   * @throws UnknownTopicException if there is no such topic
   */
  TopicInfo describeTopic(String name);

  /** The cluster's nodes and its metadata leader. */
  ClusterInfo describeCluster();

  /**
   * How many partitions the cluster has and which are leaderless or under-replicated, as the
   * nodes' replicas report now (the answering node asks every node about all its replicas).
   */
  PartitionHealth partitionHealth();

  /** Every stream group, by name. */
  List<GroupSummary> listGroups();

  /**
   * A stream group's members, and its committed offset, end offset and lag in every partition of
   * its topics.
   *
   * @throws OrdoException with {@code UNKNOWN_GROUP} if there is no such group
   */
  GroupInfo describeGroup(String group);

  /**
   * Moves the group's committed offset in every partition of {@code topic} to {@code offset}:
   * an offset, {@link Consumer#EARLIEST} or {@link Consumer#LATEST}. Returns the partitions as
   * they are then.
   *
   * @throws OrdoException with {@code GROUP_NOT_EMPTY} while the group has live members (stop them
   *     first), {@code UNKNOWN_GROUP}, or {@code OFFSET_OUT_OF_RANGE} for an offset outside a log
   */
  List<GroupInfo.PartitionOffset> resetGroupOffsets(String group, String topic, long offset);

  /**
   * Deletes the group and its committed offsets.
   *
   * @throws OrdoException with {@code GROUP_NOT_EMPTY} while it has live members, or {@code
   *     UNKNOWN_GROUP}
   */
  void deleteGroup(String group);

  /**
   * Creates a queue group reading {@code topic}, starting at its earliest records; {@code policy}
   * fields left 0 take the defaults (10 deliveries, a 30 s lease, back-off 1 s, 5 s, 30 s, 2 min,
   * 10 min). Its consumers: {@link OrdoClient#queueConsumer}.
   *
   * @throws OrdoException GROUP_ALREADY_EXISTS, UNKNOWN_TOPIC, INVALID_REQUEST (a policy out of range)
   */
  void createQueueGroup(String group, String topic, QueuePolicy policy);

  /**
   * The queue group's policy and, per partition, its records in flight, waiting, dead, and its
   * counts.
   *
   * @throws OrdoException UNKNOWN_GROUP (also for a stream group)
   */
  QueueGroupInfo describeQueueGroup(String group);

  /** Up to {@code max} of the queue group's dead letters, partition by partition, in offset order. */
  List<DeadLetterRecord> deadLetters(String group, int max);

  /**
   * Delivers every dead letter of the queue group again, its delivery count starting over;
   * returns how many.
   */
  long redriveDeadLetters(String group);
}
