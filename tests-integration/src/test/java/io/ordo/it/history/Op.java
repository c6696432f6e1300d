package io.ordo.it.history;

import java.util.List;

/**
 * One event of a history. A client operation appears twice: as {@link Type#INVOKE} when it starts
 * and as {@link Type#OK}, {@link Type#FAIL} or {@link Type#INFO} when it completes. FAIL means the
 * operation definitely did not take effect; INFO means it may or may not have (a timeout, a lost
 * connection). Nemesis events use {@link Type#INFO} with {@code f} naming the fault.
 *
 * @param process the client (writer or reader number) or {@code NEMESIS}
 * @param value what a write wrote; null for reads
 * @param partition -1 when not known
 * @param offset where a write landed or a read started; -1 when not known
 * @param reads the records an ok read returned, in order; empty for other ops
 */
public record Op(
    int process,
    Type type,
    String f,
    String value,
    int partition,
    long offset,
    long timeNanos,
    String error,
    List<PartitionRead> reads) {
  /** The process number of the nemesis. */
  public static final int NEMESIS = -1;

  public enum Type {
    INVOKE,
    OK,
    FAIL,
    INFO
  }

  public Op {
    reads = List.copyOf(reads);
  }

  /** An op that read nothing. */
  public Op(int process, Type type, String f, String value, int partition, long offset, long timeNanos, String error) {
    this(process, type, f, value, partition, offset, timeNanos, error, List.of());
  }

  public static Op invoke(int process, String f, String value, long timeNanos) {
    return new Op(process, Type.INVOKE, f, value, -1, -1, timeNanos, null);
  }
}
