package io.ordo.client.internal;

import io.ordo.client.OrdoException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * When to retry and how long to wait first. The back-off doubles per attempt from {@code min} up
 * to {@code max} and is jittered uniformly over its upper half ("equal jitter"), so clients that
 * failed together do not retry together yet never retry sooner than half the nominal back-off.
 * Retries stop when the error is not retriable or the next attempt would start after {@code
 * timeout} from the first one: every retry loop is bounded.
 */
public final class RetryPolicy {
  private final long minNanos;
  private final long maxNanos;
  private final long timeoutNanos;
  /** Where jitter comes from; null for the calling thread's {@link ThreadLocalRandom}. */
  private final RandomGenerator random;

  /** A policy with the given back-off bounds and overall time limit; safe to share by threads. */
  public RetryPolicy(Duration min, Duration max, Duration timeout) {
    this(min, max, timeout, null);
  }

  /** A policy drawing jitter from {@code random}, which must suit the threads that use it. */
  RetryPolicy(Duration min, Duration max, Duration timeout, RandomGenerator random) {
    if (min.isNegative() || min.isZero() || max.compareTo(min) < 0 || timeout.isNegative()) {
      throw new IllegalArgumentException(
          "need 0 < min <= max and timeout >= 0: " + min + ", " + max + ", " + timeout);
    }
    this.minNanos = min.toNanos();
    this.maxNanos = max.toNanos();
    this.timeoutNanos = timeout.toNanos();
    this.random = random;
  }

  /** The same back-off with a different overall limit. */
  public RetryPolicy within(Duration timeout) {
    return new RetryPolicy(Duration.ofNanos(minNanos), Duration.ofNanos(maxNanos), timeout, random);
  }

  /** The wait before retry number {@code attempt} (1 for the first retry), in nanoseconds. */
  public long backoffNanos(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be positive: " + attempt);
    }
    // In double arithmetic a large attempt gives infinity, which the cap turns into max.
    long nominal = (long) Math.min(maxNanos, minNanos * Math.pow(2, attempt - 1));
    long half = nominal / 2;
    RandomGenerator jitter = random != null ? random : ThreadLocalRandom.current();
    return half + (long) (jitter.nextDouble() * (nominal - half + 1));
  }

  /**
   * Whether to retry after {@code error}, given the first attempt started at {@code startNanos},
   * it is now {@code nowNanos} and the retry would wait {@code backoffNanos} first.
   */
  public boolean shouldRetry(
      OrdoException error, long startNanos, long nowNanos, long backoffNanos) {
    return error.isRetriable() && nowNanos + backoffNanos - startNanos < timeoutNanos;
  }

  /** The overall time limit, in nanoseconds. */
  public long timeoutNanos() {
    return timeoutNanos;
  }
}
