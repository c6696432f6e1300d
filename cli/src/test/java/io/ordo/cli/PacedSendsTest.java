package io.ordo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PacedSendsTest {
  private record Sent(long i, long due, PacedSends.Tally tally, int measuredStartsBefore) {}

  @Test
  void theMeasuredRecordsFollowTheWarmUpOnOneScheduleAndKeepTheirOwnTally() {
    PacedSends.Tally warmup = new PacedSends.Tally();
    PacedSends.Tally measured = new PacedSends.Tally();
    List<Sent> sent = new ArrayList<>();
    int[] measuredStarts = {0};
    PacedSends.run(
        3, 4, 1_000, warmup, measured,
        (i, due, tally) -> sent.add(new Sent(i, due, tally, measuredStarts[0])),
        () -> measuredStarts[0]++);

    assertThat(sent).extracting(Sent::i).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(sent).extracting(Sent::tally).containsExactly(warmup, warmup, warmup, measured, measured, measured, measured);
    assertThat(sent).extracting(Sent::measuredStartsBefore).containsExactly(0, 0, 0, 1, 1, 1, 1);
    // One schedule: the first measured record is due one interval after the last warm-up record,
    // as every record is after the one before it; no pause between the phases.
    long interval = TimeUnit.MILLISECONDS.toNanos(1);
    for (int i = 1; i < sent.size(); i++) {
      assertThat(sent.get(i).due() - sent.get(i - 1).due()).as("due after record %d", i - 1).isBetween(interval - 1, interval + 1);
    }
  }

  @Test
  void anAnswerCountsWhereItsRecordWasSent() {
    PacedSends.Tally tally = new PacedSends.Tally();
    tally.answered(System.nanoTime(), null);
    tally.answered(System.nanoTime(), new IllegalStateException("refused"));
    tally.answered(System.nanoTime(), new IllegalArgumentException("later"));

    assertThat(tally.acknowledged.sum()).isEqualTo(1);
    assertThat(tally.failed.sum()).isEqualTo(2);
    assertThat(tally.firstError.get()).hasMessage("refused");
    assertThat(tally.latencyMicros.getIntervalHistogram().getTotalCount()).as("latencies of acknowledged records only").isEqualTo(1);
  }

  @Test
  void withoutAWarmUpEveryRecordIsMeasured() {
    PacedSends.Tally warmup = new PacedSends.Tally();
    PacedSends.Tally measured = new PacedSends.Tally();
    List<PacedSends.Tally> tallies = new ArrayList<>();
    int[] measuredStarts = {0};
    PacedSends.run(0, 3, 0, warmup, measured, (i, due, tally) -> tallies.add(tally), () -> measuredStarts[0]++);

    assertThat(tallies).containsExactly(measured, measured, measured);
    assertThat(measuredStarts[0]).isEqualTo(1);
  }
}
