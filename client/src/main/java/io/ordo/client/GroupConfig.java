package io.ordo.client;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A member of a stream group: the group, the topics it reads, where a group new to a partition
 * starts, its session timeout, whether {@link GroupConsumer#poll} commits what the previous poll
 * returned (auto-commit, at-least-once when records are processed between polls), and a
 * rebalance listener.
 */
public record GroupConfig(
    String group,
    List<String> topics,
    boolean fromLatest,
    Duration sessionTimeout,
    boolean autoCommit,
    RebalanceListener listener) {
  public GroupConfig {
    Objects.requireNonNull(group, "group");
    topics = List.copyOf(topics);
    if (topics.isEmpty()) {
      throw new IllegalArgumentException("a group member reads at least one topic");
    }
    Objects.requireNonNull(sessionTimeout, "sessionTimeout");
    Objects.requireNonNull(listener, "listener");
  }

  /**
   * A member of {@code group} reading {@code topics}: from the earliest record where the group has
   * committed nothing, a 10 s session, manual commits, no listener.
   */
  public static GroupConfig of(String group, String... topics) {
    return new GroupConfig(group, List.of(topics), false, Duration.ofSeconds(10), false, new RebalanceListener() {});
  }

  /** Where the group has committed nothing, start at the partition's end instead. */
  public GroupConfig startingAtLatest() {
    return new GroupConfig(group, topics, true, sessionTimeout, autoCommit, listener);
  }

  public GroupConfig withAutoCommit(boolean enabled) {
    return new GroupConfig(group, topics, fromLatest, sessionTimeout, enabled, listener);
  }

  public GroupConfig withSessionTimeout(Duration timeout) {
    return new GroupConfig(group, topics, fromLatest, timeout, autoCommit, listener);
  }

  public GroupConfig withListener(RebalanceListener rebalanceListener) {
    return new GroupConfig(group, topics, fromLatest, sessionTimeout, autoCommit, rebalanceListener);
  }
}
