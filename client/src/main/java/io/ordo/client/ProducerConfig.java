package io.ordo.client;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits and timings of a {@link Producer}. Every limit has a default that suits a small
 * cluster; build with {@link #builder()}. Immutable.
 */
public final class ProducerConfig {
  /** The requests a partition remembers per producer (ordo.v1.ProduceRequest): the pipelining bound. */
  private static final int MAX_IN_FLIGHT_PER_PARTITION = 5;

  private final int batchBytes;
  private final Duration linger;
  private final long maxBufferedBytes;
  private final Duration maxBlock;
  private final int maxRecordBytes;
  private final Duration retryBackoffMin;
  private final Duration retryBackoffMax;
  private final Duration deliveryTimeout;
  private final boolean idempotent;
  private final int maxInFlightPerPartition;
  private final int maxInFlightPerNode;

  private ProducerConfig(Builder b) {
    this.batchBytes = b.batchBytes;
    this.linger = b.linger;
    this.maxBufferedBytes = b.maxBufferedBytes;
    this.maxBlock = b.maxBlock;
    this.maxRecordBytes = b.maxRecordBytes;
    this.retryBackoffMin = b.retryBackoffMin;
    this.retryBackoffMax = b.retryBackoffMax;
    this.deliveryTimeout = b.deliveryTimeout;
    this.idempotent = b.idempotent;
    this.maxInFlightPerPartition = b.maxInFlightPerPartition;
    this.maxInFlightPerNode = b.maxInFlightPerNode;
  }

  /** A builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The default configuration. */
  public static ProducerConfig defaults() {
    return builder().build();
  }

  /**
   * A batch is sent as soon as it holds this many bytes of records (default 512 KiB); keyless
   * records move on to the next partition after this many bytes went to one. A batch becomes one
   * Raft entry: unthrottled on the project's 2-core machine, 512 KiB wrote 22% more records a
   * second than 256 KiB for a quarter less node CPU per record; 2 MiB, past a call's 1 MiB, less.
   */
  public int batchBytes() {
    return batchBytes;
  }

  /** How long a batch that is not full waits for more records before it is sent (default 5 ms). */
  public Duration linger() {
    return linger;
  }

  /** Most bytes of records queued or in flight; {@code send} blocks beyond it (default 64 MiB). */
  public long maxBufferedBytes() {
    return maxBufferedBytes;
  }

  /** Longest {@code send} blocks for buffer space or topic metadata (default 60 s). */
  public Duration maxBlock() {
    return maxBlock;
  }

  /** Largest record, key, value and headers encoded, the producer accepts (default 1 MiB). */
  public int maxRecordBytes() {
    return maxRecordBytes;
  }

  /** The first retry back-off (default 50 ms); it doubles per attempt, with jitter. */
  public Duration retryBackoffMin() {
    return retryBackoffMin;
  }

  /** The longest retry back-off (default 1 s). */
  public Duration retryBackoffMax() {
    return retryBackoffMax;
  }

  /**
   * How long after {@code send} a record may still be retried; then its future fails with the
   * last error (default 120 s).
   */
  public Duration deliveryTimeout() {
    return deliveryTimeout;
  }

  /**
   * Whether retries are deduplicated (default true): the producer picks a random id and numbers
   * its records per partition, and a partition appends a retried request only once. Without it,
   * a retry after a lost answer can store a batch twice.
   */
  public boolean idempotent() {
    return idempotent;
  }

  /**
   * Requests to one partition sent and not yet answered, at most, counted from the oldest
   * unanswered one, answered requests after it included (default and most: 5, the requests a
   * partition remembers per producer to recognise retries). More than one keeps a
   * partition's records flowing while a request is being replicated. A failed request is resent
   * before any after it, which the partition enforces, so records keep their send order. A
   * producer that is not idempotent sends one at a time: nothing would keep a retried request
   * from landing after the ones sent behind it.
   */
  public int maxInFlightPerPartition() {
    return idempotent ? maxInFlightPerPartition : 1;
  }

  /**
   * Calls to one node sent and not yet answered, at most, across all the partitions it leads
   * (default 10), as Kafka's {@code max.in.flight.requests.per.connection} bounds a broker's. A
   * call carries the batches ready for the node, at most one per partition and 1 MiB of records
   * together (a larger batch goes alone). A topic of many partitions would otherwise have {@link
   * #maxInFlightPerPartition()} requests per partition in flight: at a thousand partitions, a node
   * had megabytes waiting to be replicated, its Raft heartbeats queued behind them past their
   * timeouts, and leaders stepped down. Batches waiting for a free call take turns across
   * partitions.
   */
  public int maxInFlightPerNode() {
    return maxInFlightPerNode;
  }

  /** Builds a {@link ProducerConfig}; every setter checks its argument. */
  public static final class Builder {
    private int batchBytes = 512 * 1024;
    private Duration linger = Duration.ofMillis(5);
    private long maxBufferedBytes = 64L * 1024 * 1024;
    private Duration maxBlock = Duration.ofSeconds(60);
    private int maxRecordBytes = 1024 * 1024;
    private Duration retryBackoffMin = Duration.ofMillis(50);
    private Duration retryBackoffMax = Duration.ofSeconds(1);
    private Duration deliveryTimeout = Duration.ofSeconds(120);
    private boolean idempotent = true;
    private int maxInFlightPerPartition = MAX_IN_FLIGHT_PER_PARTITION;
    private int maxInFlightPerNode = 10;

    private Builder() {}

    /** See {@link ProducerConfig#batchBytes()}; positive. */
    public Builder batchBytes(int bytes) {
      this.batchBytes = positive(bytes, "batchBytes");
      return this;
    }

    /** See {@link ProducerConfig#linger()}; zero sends each batch as soon as possible. */
    public Builder linger(Duration linger) {
      this.linger = notNegative(linger, "linger");
      return this;
    }

    /** See {@link ProducerConfig#maxBufferedBytes()}; positive, at most {@code Integer.MAX_VALUE}. */
    public Builder maxBufferedBytes(long bytes) {
      if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("maxBufferedBytes must be in 1.." + Integer.MAX_VALUE);
      }
      this.maxBufferedBytes = bytes;
      return this;
    }

    /** See {@link ProducerConfig#maxBlock()}. */
    public Builder maxBlock(Duration maxBlock) {
      this.maxBlock = notNegative(maxBlock, "maxBlock");
      return this;
    }

    /** See {@link ProducerConfig#maxRecordBytes()}; positive. */
    public Builder maxRecordBytes(int bytes) {
      this.maxRecordBytes = positive(bytes, "maxRecordBytes");
      return this;
    }

    /** See {@link ProducerConfig#retryBackoffMin()}; positive. */
    public Builder retryBackoffMin(Duration backoff) {
      this.retryBackoffMin = positive(backoff, "retryBackoffMin");
      return this;
    }

    /** See {@link ProducerConfig#retryBackoffMax()}; positive. */
    public Builder retryBackoffMax(Duration backoff) {
      this.retryBackoffMax = positive(backoff, "retryBackoffMax");
      return this;
    }

    /** See {@link ProducerConfig#deliveryTimeout()}; positive. */
    public Builder deliveryTimeout(Duration timeout) {
      this.deliveryTimeout = positive(timeout, "deliveryTimeout");
      return this;
    }

    /** See {@link ProducerConfig#idempotent()}. */
    public Builder idempotent(boolean idempotent) {
      this.idempotent = idempotent;
      return this;
    }

    /** See {@link ProducerConfig#maxInFlightPerPartition()}; 1 to 5. */
    public Builder maxInFlightPerPartition(int requests) {
      if (requests < 1 || requests > MAX_IN_FLIGHT_PER_PARTITION) {
        throw new IllegalArgumentException(
            "maxInFlightPerPartition must be in 1.." + MAX_IN_FLIGHT_PER_PARTITION + ": " + requests);
      }
      this.maxInFlightPerPartition = requests;
      return this;
    }

    /** See {@link ProducerConfig#maxInFlightPerNode()}; positive. */
    public Builder maxInFlightPerNode(int calls) {
      this.maxInFlightPerNode = positive(calls, "maxInFlightPerNode");
      return this;
    }

    /**
     * The configuration.
     *
     * @throws IllegalArgumentException if the minimum back-off exceeds the maximum, or one record
     *     could not fit in the buffer
     */
    public ProducerConfig build() {
      if (retryBackoffMin.compareTo(retryBackoffMax) > 0) {
        throw new IllegalArgumentException("retryBackoffMin exceeds retryBackoffMax");
      }
      if (maxRecordBytes > maxBufferedBytes) {
        throw new IllegalArgumentException("maxRecordBytes exceeds maxBufferedBytes");
      }
      return new ProducerConfig(this);
    }

    private static int positive(int value, String name) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }

    private static Duration positive(Duration value, String name) {
      if (Objects.requireNonNull(value, name).isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }

    private static Duration notNegative(Duration value, String name) {
      if (Objects.requireNonNull(value, name).isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative: " + value);
      }
      return value;
    }
  }
}
