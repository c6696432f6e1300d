package io.ordo.client;

import java.util.Collection;

/**
 * Told, on the thread that calls {@link GroupConsumer#poll}, when this member's partitions change.
 * A listener that processes records outside {@code poll} commits in {@link #onRevoked}, before the
 * partitions move to another member.
 */
public interface RebalanceListener {
  /** The member now owns {@code partitions} and reads them from their committed offsets. */
  default void onAssigned(Collection<TopicPartition> partitions) {}

  /** The partitions move to another member; commits still succeed until this returns. */
  default void onRevoked(Collection<TopicPartition> partitions) {}

  /**
   * Another member owns the partitions already (this member was fenced or dropped): commits for
   * them fail, and their records since the last commit will be read again by the new owner.
   */
  default void onLost(Collection<TopicPartition> partitions) {}
}
