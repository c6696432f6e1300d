package io.ordo.raft.metadata;

import io.ordo.proto.raft.v1.TopicConfig;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * A topic's settings by their Kafka names ({@code retention.ms}, {@code retention.bytes}), as
 * clients send and see them, and the typed {@link TopicConfig} the metadata keeps.
 */
public final class TopicConfigs {
  public static final String RETENTION_MS = "retention.ms";
  public static final String RETENTION_BYTES = "retention.bytes";
  /** The value that lifts a bound: records are kept forever, or a partition may grow without limit. */
  public static final long UNBOUNDED = -1;

  private TopicConfigs() {}

  /** A setting the request got wrong: the message says which and what is allowed. */
  public static final class InvalidConfigException extends IllegalArgumentException {
    InvalidConfigException(String message) {
      super(message);
    }
  }

  /**
   * {@code current} with {@code set} applied and the settings named in {@code reset} back to the
   * nodes' default.
   *
   * @throws InvalidConfigException for an unknown name or a value not allowed
   */
  public static TopicConfig apply(TopicConfig current, Map<String, String> set, Collection<String> reset) {
    TopicConfig.Builder config = current.toBuilder();
    for (String name : reset) {
      switch (name) {
        case RETENTION_MS -> config.clearRetentionMs();
        case RETENTION_BYTES -> config.clearRetentionBytes();
        default -> throw unknown(name);
      }
    }
    for (Map.Entry<String, String> setting : new TreeMap<>(set).entrySet()) {
      String name = setting.getKey();
      switch (name) {
        case RETENTION_MS -> config.setRetentionMs(number(name, setting.getValue()));
        case RETENTION_BYTES -> config.setRetentionBytes(number(name, setting.getValue()));
        default -> throw unknown(name);
      }
    }
    TopicConfig applied = config.build();
    String problem = problem(applied);
    if (problem != null) {
      throw new InvalidConfigException(problem);
    }
    return applied;
  }

  /** Why {@code config} cannot be a topic's settings; null if it can. */
  public static String problem(TopicConfig config) {
    if (config.hasRetentionMs() && !allowedBound(config.getRetentionMs())) {
      return RETENTION_MS + " must be positive, or " + UNBOUNDED + " to keep records forever, not " + config.getRetentionMs();
    }
    if (config.hasRetentionBytes() && !allowedBound(config.getRetentionBytes())) {
      return RETENTION_BYTES + " must be positive, or " + UNBOUNDED + " for no bound, not " + config.getRetentionBytes();
    }
    return null;
  }

  /** The settings {@code config} has, by name, as a client sees them. */
  public static Map<String, String> describe(TopicConfig config) {
    Map<String, String> out = new TreeMap<>();
    if (config.hasRetentionMs()) {
      out.put(RETENTION_MS, Long.toString(config.getRetentionMs()));
    }
    if (config.hasRetentionBytes()) {
      out.put(RETENTION_BYTES, Long.toString(config.getRetentionBytes()));
    }
    return out;
  }

  private static long number(String name, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new InvalidConfigException(name + " must be a whole number, not '" + value + "'");
    }
  }

  private static boolean allowedBound(long value) {
    return value > 0 || value == UNBOUNDED;
  }

  private static InvalidConfigException unknown(String name) {
    return new InvalidConfigException(
        "unknown topic setting '" + name + "'; the settings are " + RETENTION_MS + " and " + RETENTION_BYTES);
  }
}
