package io.ordo.client.internal;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.ordo.client.OrdoException;
import java.util.function.BiFunction;

/**
 * Blocking calls to a partition's leader, retried after a back-off while the answer is retriable
 * (the leader moved, no leader yet), within the request timeout. A refusal that follows an attempt
 * which may have been applied (a deadline, a lost connection) fails as OUTCOME_UNKNOWN, with the
 * refusal as its cause: the refusal may be the answer to the earlier attempt's own effect.
 */
final class LeaderCalls {
  private final ChannelPool channels;
  private final MetadataCache metadata;
  private final RetryPolicy retry;
  private final long requestTimeoutNanos;

  LeaderCalls(ChannelPool channels, MetadataCache metadata, RetryPolicy retry, long requestTimeoutNanos) {
    this.channels = channels;
    this.metadata = metadata;
    this.retry = retry;
    this.requestTimeoutNanos = requestTimeoutNanos;
  }

  /** {@code call(leaderChannel, deadlineNanos)}, retried as above; {@code what} names it in errors. */
  <T> T call(String topic, int partition, String what, BiFunction<ManagedChannel, Long, T> call) {
    long start = System.nanoTime();
    int attempt = 0;
    boolean mayHaveApplied = false;
    while (true) {
      try {
        String leader = Errors.await(metadata.leader(topic, partition), requestTimeoutNanos, what);
        return call.apply(channels.get(leader), requestTimeoutNanos);
      } catch (StatusRuntimeException | OrdoException e) {
        OrdoException error = Errors.toOrdo(e);
        metadata.onError(topic, partition, error);
        long backoff = retry.backoffNanos(++attempt);
        if (!retry.shouldRetry(error, start, System.nanoTime(), backoff)) {
          throw mayHaveApplied && !error.isRetriable() ? Errors.outcomeUnknown(what, error) : error;
        }
        mayHaveApplied |= !Errors.definitelyNotWritten(error);
        Sleeper.sleep(backoff, what);
      }
    }
  }
}
