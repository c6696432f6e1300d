package io.ordo.raft.metadata;

import io.ordo.proto.raft.v1.CleanupPolicy;
import io.ordo.proto.raft.v1.TopicConfig;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * A topic's settings by their Kafka names ({@code retention.ms}, {@code cleanup.policy}, ...), as
 * clients send and see them, and the typed {@link TopicConfig} the metadata keeps.
 */
public final class TopicConfigs {
  public static final String RETENTION_MS = "retention.ms";
  public static final String RETENTION_BYTES = "retention.bytes";
  public static final String CLEANUP_POLICY = "cleanup.policy";
  public static final String DELETE_RETENTION_MS = "delete.retention.ms";
  public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";
  public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";
  /** The value that lifts a bound: records are kept forever, or a partition may grow without limit. */
  public static final long UNBOUNDED = -1;
  /** Kafka's defaults for the compaction settings a topic does not set. */
  public static final long DEFAULT_DELETE_RETENTION_MS = 24 * 60 * 60 * 1000L;
  public static final long DEFAULT_MIN_COMPACTION_LAG_MS = 0;
  public static final double DEFAULT_MIN_CLEANABLE_DIRTY_RATIO = 0.5;

  private static final String NAMES = String.join(", ",
      RETENTION_MS, RETENTION_BYTES, CLEANUP_POLICY, DELETE_RETENTION_MS, MIN_COMPACTION_LAG_MS, MIN_CLEANABLE_DIRTY_RATIO);

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
        case CLEANUP_POLICY -> config.clearCleanupPolicy();
        case DELETE_RETENTION_MS -> config.clearDeleteRetentionMs();
        case MIN_COMPACTION_LAG_MS -> config.clearMinCompactionLagMs();
        case MIN_CLEANABLE_DIRTY_RATIO -> config.clearMinCleanableDirtyRatio();
        default -> throw unknown(name);
      }
    }
    for (Map.Entry<String, String> setting : new TreeMap<>(set).entrySet()) {
      String name = setting.getKey();
      String value = setting.getValue();
      switch (name) {
        case RETENTION_MS -> config.setRetentionMs(number(name, value));
        case RETENTION_BYTES -> config.setRetentionBytes(number(name, value));
        case CLEANUP_POLICY -> config.setCleanupPolicy(policy(value));
        case DELETE_RETENTION_MS -> config.setDeleteRetentionMs(number(name, value));
        case MIN_COMPACTION_LAG_MS -> config.setMinCompactionLagMs(number(name, value));
        case MIN_CLEANABLE_DIRTY_RATIO -> config.setMinCleanableDirtyRatio(ratio(value));
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
    if (config.hasCleanupPolicy() && config.getCleanupPolicy() == CleanupPolicy.UNRECOGNIZED) {
      return CLEANUP_POLICY + " has a value this version does not know";
    }
    if (config.hasDeleteRetentionMs() && config.getDeleteRetentionMs() < 0) {
      return DELETE_RETENTION_MS + " must be 0 or more, not " + config.getDeleteRetentionMs();
    }
    if (config.hasMinCompactionLagMs() && config.getMinCompactionLagMs() < 0) {
      return MIN_COMPACTION_LAG_MS + " must be 0 or more, not " + config.getMinCompactionLagMs();
    }
    if (config.hasMinCleanableDirtyRatio()
        && !(config.getMinCleanableDirtyRatio() >= 0 && config.getMinCleanableDirtyRatio() <= 1)) {
      return MIN_CLEANABLE_DIRTY_RATIO + " must be from 0 to 1, not " + config.getMinCleanableDirtyRatio();
    }
    return null;
  }

  /** Whether the topic is compacted (cleanup.policy compact, or compact,delete). */
  public static boolean compacted(TopicConfig config) {
    return config.getCleanupPolicy() != CleanupPolicy.CLEANUP_POLICY_DELETE;
  }

  /** Whether retention deletes the topic's old records (cleanup.policy delete, or compact,delete). */
  public static boolean deletes(TopicConfig config) {
    return config.getCleanupPolicy() != CleanupPolicy.CLEANUP_POLICY_COMPACT;
  }

  /** Whether {@code config} sets anything only compaction reads (FeatureLevel COMPACTION). */
  public static boolean usesCompaction(TopicConfig config) {
    return config.hasCleanupPolicy()
        || config.hasDeleteRetentionMs()
        || config.hasMinCompactionLagMs()
        || config.hasMinCleanableDirtyRatio();
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
    if (config.hasCleanupPolicy()) {
      out.put(CLEANUP_POLICY, switch (config.getCleanupPolicy()) {
        case CLEANUP_POLICY_COMPACT -> "compact";
        case CLEANUP_POLICY_COMPACT_DELETE -> "compact,delete";
        default -> "delete";
      });
    }
    if (config.hasDeleteRetentionMs()) {
      out.put(DELETE_RETENTION_MS, Long.toString(config.getDeleteRetentionMs()));
    }
    if (config.hasMinCompactionLagMs()) {
      out.put(MIN_COMPACTION_LAG_MS, Long.toString(config.getMinCompactionLagMs()));
    }
    if (config.hasMinCleanableDirtyRatio()) {
      out.put(MIN_CLEANABLE_DIRTY_RATIO, Double.toString(config.getMinCleanableDirtyRatio()));
    }
    return out;
  }

  private static CleanupPolicy policy(String value) {
    return switch (value.replace(" ", "")) {
      case "delete" -> CleanupPolicy.CLEANUP_POLICY_DELETE;
      case "compact" -> CleanupPolicy.CLEANUP_POLICY_COMPACT;
      case "compact,delete", "delete,compact" -> CleanupPolicy.CLEANUP_POLICY_COMPACT_DELETE;
      default -> throw new InvalidConfigException(
          CLEANUP_POLICY + " must be delete, compact or compact,delete, not '" + value + "'");
    };
  }

  private static long number(String name, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new InvalidConfigException(name + " must be a whole number, not '" + value + "'");
    }
  }

  private static double ratio(String value) {
    try {
      return Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      throw new InvalidConfigException(MIN_CLEANABLE_DIRTY_RATIO + " must be a number from 0 to 1, not '" + value + "'");
    }
  }

  private static boolean allowedBound(long value) {
    return value > 0 || value == UNBOUNDED;
  }

  private static InvalidConfigException unknown(String name) {
    return new InvalidConfigException("unknown topic setting '" + name + "'; the settings are " + NAMES);
  }
}
