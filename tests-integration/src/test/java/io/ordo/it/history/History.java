package io.ordo.it.history;

import java.util.ArrayList;
import java.util.List;

/** A history being recorded by many threads; times are nanoseconds since the run started. */
public final class History {
  private final long startNanos = System.nanoTime();
  private final List<Op> ops = new ArrayList<>();

  /** Nanoseconds since the run started. */
  public long now() {
    return System.nanoTime() - startNanos;
  }

  public synchronized void add(Op op) {
    ops.add(op);
  }

  /** Every op so far, in the order recorded. */
  public synchronized List<Op> ops() {
    return List.copyOf(ops);
  }
}
