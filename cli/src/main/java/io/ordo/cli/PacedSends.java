package io.ordo.cli;

import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * A benchmark's sends as one flow: the warm-up's records, then the measured ones, on one {@link
 * Pacer} schedule with nothing between them, and every answer handled by the same code. Draining
 * the producer after the warm-up and starting a second loop put a stall of up to a second into the
 * measured part's first second, which alone set a paced run's p99: the flow stopped and restarted,
 * and the client's compilers, and the nodes', rebuilt the paths the new phase ran (the client's
 * took 44 of the machine's 200 CPU ticks in that second, the CPUs had none idle). Public for the
 * Kafka benchmark beside Ordo's (bench/kafka), which must send exactly alike.
 */
public final class PacedSends {
  private PacedSends() {}

  /** What became of one phase's records: the acknowledged ones' latencies and count, the failures. */
  public static final class Tally {
    /** Microseconds from each acknowledged record's due time (its send, unpaced) to its answer. */
    public final Recorder latencyMicros = new Recorder(3);
    public final LongAdder acknowledged = new LongAdder();
    public final LongAdder failed = new LongAdder();
    public final AtomicReference<Throwable> firstError = new AtomicReference<>();

    /** The answer to a record due at {@code dueNanos} ({@link System#nanoTime}): {@code error} null if acknowledged. */
    public void answered(long dueNanos, Throwable error) {
      if (error != null) {
        failed.increment();
        firstError.compareAndSet(null, error);
      } else {
        latencyMicros.recordValue((System.nanoTime() - dueNanos) / 1000);
        acknowledged.increment();
      }
    }
  }

  /** Sends record {@code i}, due at {@code dueNanos}, and hands its answer to {@code tally}'s {@link Tally#answered}. */
  @FunctionalInterface
  public interface Sender {
    void send(long i, long dueNanos, Tally tally);
  }

  /**
   * Sends {@code warmup} and then {@code measured} records at {@code rate} a second (0: as fast as
   * {@code sender} takes them); the warm-up's answers go to {@code warmupTally}, the others' to
   * {@code measuredTally}. {@code atMeasuredStart} runs once, when the first measured record is
   * due, before it is sent. Returns once every record was handed to {@code sender}.
   */
  public static void run(
      long warmup, long measured, long rate, Tally warmupTally, Tally measuredTally, Sender sender,
      Runnable atMeasuredStart) {
    Pacer pacer = new Pacer(rate);
    Tally tally = warmupTally;
    for (long i = 0; i < warmup + measured; i++) {
      long due = pacer.awaitDue(i);
      if (i == warmup) {
        tally = measuredTally;
        atMeasuredStart.run();
      }
      sender.send(i, due, tally);
    }
  }
}
