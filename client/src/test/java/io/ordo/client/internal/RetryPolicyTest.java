package io.ordo.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.ordo.client.OrdoException;
import io.ordo.proto.v1.ErrorCode;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private static final long MS = 1_000_000;

  private final RetryPolicy policy =
      new RetryPolicy(
          Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofSeconds(10), new SplittableRandom(7));

  @Test
  void backoffDoublesWithinTheUpperHalfOfItsNominalValue() {
    for (int attempt = 1; attempt <= 5; attempt++) {
      long nominal = 50 * MS << (attempt - 1);
      for (int i = 0; i < 100; i++) {
        assertThat(policy.backoffNanos(attempt)).isBetween(nominal / 2, nominal);
      }
    }
  }

  @Test
  void backoffIsCappedAtTheMaximumEvenForHugeAttemptNumbers() {
    for (int attempt : new int[] {6, 20, 63, 64, 1000, Integer.MAX_VALUE}) {
      assertThat(policy.backoffNanos(attempt)).isBetween(500 * MS, 1000 * MS);
    }
  }

  @Test
  void backoffIsJittered() {
    RandomGenerator low = () -> 0L;
    RetryPolicy lowest =
        new RetryPolicy(Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ZERO, low);
    assertThat(lowest.backoffNanos(1)).isEqualTo(25 * MS);
    long distinct =
        java.util.stream.IntStream.range(0, 50).mapToLong(i -> policy.backoffNanos(4)).distinct()
            .count();
    assertThat(distinct).isGreaterThan(10);
  }

  @Test
  void retriesRetriableErrorsOnlyWithinTheTimeout() {
    OrdoException notLeader = error(ErrorCode.NOT_LEADER, Status.Code.UNAVAILABLE);
    assertThat(policy.shouldRetry(notLeader, 0, 5_000 * MS, 100 * MS)).isTrue();
    assertThat(policy.shouldRetry(notLeader, 0, 9_950 * MS, 100 * MS)).isFalse();
  }

  @Test
  void neverRetriesDefiniteAnswers() {
    assertThat(
            policy.shouldRetry(
                error(ErrorCode.INVALID_REQUEST, Status.Code.INVALID_ARGUMENT), 0, 0, 0))
        .isFalse();
    assertThat(policy.shouldRetry(error(ErrorCode.UNKNOWN_TOPIC, Status.Code.NOT_FOUND), 0, 0, 0))
        .isFalse();
  }

  @Test
  void classifiesTransportAndOverloadErrorsAsRetriable() {
    assertThat(error(ErrorCode.ERROR_CODE_UNSPECIFIED, Status.Code.UNAVAILABLE).isRetriable())
        .isTrue();
    assertThat(error(ErrorCode.ERROR_CODE_UNSPECIFIED, Status.Code.DEADLINE_EXCEEDED).isRetriable())
        .isTrue();
    assertThat(error(ErrorCode.OVERLOADED, Status.Code.RESOURCE_EXHAUSTED).isRetriable()).isTrue();
    assertThat(error(ErrorCode.OUTCOME_UNKNOWN, Status.Code.UNAVAILABLE).isRetriable()).isTrue();
    // INTERNAL without an Ordo detail is the transport (a stream reset by a dying node); a node's
    // own internal errors carry INTERNAL_ERROR and are not retried.
    assertThat(error(ErrorCode.ERROR_CODE_UNSPECIFIED, Status.Code.INTERNAL).isRetriable())
        .isTrue();
    assertThat(error(ErrorCode.INTERNAL_ERROR, Status.Code.INTERNAL).isRetriable()).isFalse();
  }

  private static OrdoException error(ErrorCode code, Status.Code status) {
    return new OrdoException(code, status, code.name(), null);
  }
}
