package io.ordo.node.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Context;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CallerDeadlineTest {
  /** Cancels contexts whose deadline passes; daemon, so it never keeps the JVM alive. */
  private static final ScheduledExecutorService CANCELLER =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "context-deadlines");
        t.setDaemon(true);
        return t;
      });

  /** {@link CallerDeadline#cap} as seen by a call whose caller allows {@code callerDeadlineMs}. */
  private static long capWithin(long callerDeadlineMs, long limitMs) throws Exception {
    return Context.current()
        .withDeadlineAfter(callerDeadlineMs, TimeUnit.MILLISECONDS, CANCELLER)
        .call(() -> CallerDeadline.cap(limitMs));
  }

  @Test
  void withoutACallerDeadlineTheLimitStands() {
    assertThat(CallerDeadline.cap(15_000)).isEqualTo(15_000);
  }

  @Test
  void aCloseCallerDeadlineCutsTheWaitShortLeavingTheMargin() throws Exception {
    assertThat(capWithin(5_000, 15_000)).isLessThanOrEqualTo(5_000 - CallerDeadline.MARGIN_MS).isGreaterThan(4_000);
  }

  @Test
  void aFarCallerDeadlineKeepsTheLimit() throws Exception {
    assertThat(capWithin(60_000, 1_500)).isEqualTo(1_500);
  }

  @Test
  void aCallerOutOfTimeStillGetsTheMinimum() throws Exception {
    assertThat(capWithin(100, 1_500)).isEqualTo(CallerDeadline.MIN_MS);
  }
}
