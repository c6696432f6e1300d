package io.ordo.client;

/**
 * Receives the records of a {@link Subscription}, one at a time, in offset order, on the
 * subscription's own thread. The next record is requested from the node only once this handler
 * returns, so a slow handler slows the stream instead of filling memory.
 */
@FunctionalInterface
public interface RecordHandler {
  /** Called once for each record, in offset order. An exception thrown here ends the subscription. */
  void onRecord(ConsumerRecord record);

  /**
   * Called once if the subscription ends because of an error that retrying cannot fix (such as
   * an {@link OffsetOutOfRangeException} or an exception thrown by {@link #onRecord}). Not called
   * when the subscription is closed.
   */
  default void onError(Throwable error) {}
}
