package io.ordo.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A member of a stream group (Kafka's consumer group): the group's members divide the partitions
 * of the topics they read, each partition read by one member at a time, and each member commits
 * how far it got. Every group reads every record; within a group each record goes to one member,
 * and after a failover the new owner resumes from the last commit.
 *
 * <p>Guarantees, per partition, for a member that processes what {@link #poll} returns before it
 * commits: <b>at-least-once</b>. A record is processed again only if its member stopped (crash,
 * lost session, rebalance) between processing it and the commit after it. Committing before
 * processing gives <b>at-most-once</b> instead: a crash in between skips records. A committed
 * offset never goes back unless an administrator resets it, and a member that lost a partition
 * can no longer commit it (the partition refuses a commit from an earlier generation).
 *
 * <p>Not thread-safe: one thread polls and commits; heartbeats run on the client's own thread.
 */
public interface GroupConsumer extends AutoCloseable {
  /**
   * Records from this member's partitions, waiting up to {@code maxWait} for some: in offset order
   * per partition. Also where partition changes happen (and the listener is told).
   *
   * @throws OrdoException if the group refused the member for good (INVALID_GROUP_NAME,
   *     UNKNOWN_TOPIC, LIMIT_REACHED)
   */
  List<ConsumerRecord> poll(Duration maxWait);

  /**
   * Commits, for each partition it owns, the offset after the last record {@link #poll} returned.
   *
   * @throws OrdoException STALE_GENERATION if a partition was lost meanwhile (it is dropped; its
   *     records since the last commit will be read again by its new owner); OUTCOME_UNKNOWN, with
   *     the refusal as its cause, when an attempt whose answer never came was followed by a
   *     refusal: the commit may have taken effect before the partition was lost
   */
  void commit();

  /** Commits the given next offsets (one past the last record processed) of partitions it owns. */
  void commit(Map<TopicPartition, Long> nextOffsets);

  /** The partitions this member owns now. */
  Set<TopicPartition> assignment();

  /** The member's id in the group, empty before it has joined. */
  String memberId();

  /** Commits if auto-commit is on, then leaves the group, so its partitions move at once. */
  @Override
  void close();
}
