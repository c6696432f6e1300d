package io.ordo.client;

import java.util.concurrent.CompletableFuture;

/**
 * A running stream of one partition's records into a {@link RecordHandler}. When the stream
 * breaks for a retriable reason (the leader changed or died, no leader is elected yet) it
 * reconnects to the partition's current leader from the next offset not yet handed over, so the
 * handler sees every offset once and in order. Retriable failures are retried for as long as the
 * subscription is open, at most one attempt per back-off interval.
 */
public interface Subscription extends AutoCloseable {
  /** The offset of the next record the handler will get (negative while the start is special). */
  long position();

  /**
   * Completes normally when the subscription is closed, exceptionally with the error that ended
   * it otherwise.
   */
  CompletableFuture<Void> done();

  /**
   * Stops the stream. Once this returns the handler is not called again, apart from a call
   * already in progress.
   */
  @Override
  void close();
}
