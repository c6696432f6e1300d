package io.ordo.jraft;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.EventFactory;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.IgnoreExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.EventHandlerGroup;
import com.lmax.disruptor.dsl.ProducerType;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A disruptor whose one handler runs on a shared {@link Stripe} instead of a thread of its own:
 * every publish schedules a drain of the ring on the stripe (at most one waiting at a time), and a
 * drain hands the handler every event published so far, the last with {@code endOfBatch}. A
 * handler's exception goes to the exception handler and the next event follows, as on a
 * disruptor's own thread.
 *
 * <p>Only what jraft uses is supported: one handler, a default exception handler, start,
 * shutdown, halt.
 */
final class PolledDisruptor<T> extends Disruptor<T> {
  /** The ring's producers never wait on a consumer's strategy; a publish wakes the stripe instead. */
  private static final class PublishSignal implements WaitStrategy {
    private volatile PolledDisruptor<?> disruptor;

    @Override
    public long waitFor(long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
        throws AlertException, InterruptedException, TimeoutException {
      throw new UnsupportedOperationException("a shared disruptor has no waiting consumer");
    }

    @Override
    public void signalAllWhenBlocking() {
      PolledDisruptor<?> d = disruptor;
      if (d != null) {
        d.scheduleDrain();
      }
    }
  }

  private static final ThreadFactory NO_THREADS = runnable -> {
    throw new IllegalStateException("a shared disruptor starts no thread");
  };
  private static final long SHUTDOWN_POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

  private final Stripe stripe;
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private EventHandler<? super T> handler;
  private ExceptionHandler<? super T> exceptionHandler = new IgnoreExceptionHandler();
  private volatile EventPoller<T> poller;
  private volatile boolean halted;

  private PolledDisruptor(
      EventFactory<T> eventFactory, int ringBufferSize, ProducerType producerType, PublishSignal signal, Stripe stripe) {
    super(eventFactory, ringBufferSize, NO_THREADS, producerType, signal);
    this.stripe = stripe;
  }

  static <T> PolledDisruptor<T> create(
      EventFactory<T> eventFactory, int ringBufferSize, ProducerType producerType, Stripe stripe) {
    PublishSignal signal = new PublishSignal();
    PolledDisruptor<T> disruptor = new PolledDisruptor<>(eventFactory, ringBufferSize, producerType, signal, stripe);
    signal.disruptor = disruptor;
    return disruptor;
  }

  @SafeVarargs
  @Override
  public final EventHandlerGroup<T> handleEventsWith(EventHandler<? super T>... handlers) {
    if (handlers.length != 1 || handler != null || poller != null) {
      throw new IllegalStateException("a shared disruptor takes exactly one handler, before it starts");
    }
    handler = handlers[0];
    return null;
  }

  @Override
  public void setDefaultExceptionHandler(ExceptionHandler<? super T> exceptionHandler) {
    this.exceptionHandler = exceptionHandler;
  }

  @Override
  public void handleExceptionsWith(ExceptionHandler<? super T> exceptionHandler) {
    this.exceptionHandler = exceptionHandler;
  }

  @Override
  public RingBuffer<T> start() {
    if (handler == null || poller != null) {
      throw new IllegalStateException("a shared disruptor starts once, with its handler");
    }
    RingBuffer<T> ring = getRingBuffer();
    EventPoller<T> p = ring.newPoller();
    ring.addGatingSequences(p.getSequence());
    poller = p;
    scheduleDrain(); // for anything published before the start
    return ring;
  }

  private void scheduleDrain() {
    // getAndSet, not a failed compareAndSet: a full fence, so a publish the drain's poll missed
    // sees the flag the drain cleared and schedules the next drain.
    if (poller != null && !halted && !drainScheduled.getAndSet(true)) {
      stripe.execute(this::drain);
    }
  }

  private void drain() {
    // Cleared before polling: a publish from here on schedules another drain, so none is missed.
    drainScheduled.getAndSet(false);
    if (halted) {
      return;
    }
    try {
      poller.poll(this::handle);
    } catch (Exception e) {
      exceptionHandler.handleEventException(e, poller.getSequence().get(), null);
    }
  }

  private boolean handle(T event, long sequence, boolean endOfBatch) {
    try {
      handler.onEvent(event, sequence, endOfBatch);
    } catch (Throwable t) {
      exceptionHandler.handleEventException(t, sequence, event);
    }
    return true;
  }

  private boolean hasBacklog() {
    EventPoller<T> p = poller;
    return p != null && p.getSequence().get() < getRingBuffer().getCursor();
  }

  @Override
  public void shutdown() {
    try {
      shutdown(-1, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      exceptionHandler.handleOnShutdownException(e);
    }
  }

  /** Waits until every event published so far was handled (a negative timeout waits for ever), then halts. */
  @Override
  public void shutdown(long timeout, TimeUnit unit) throws TimeoutException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (hasBacklog()) {
      if (timeout >= 0 && System.nanoTime() - deadline > 0) {
        throw TimeoutException.INSTANCE;
      }
      if (stripe.isCurrentThread()) {
        drain(); // the stripe would run it only after this returns
      } else {
        scheduleDrain();
        LockSupport.parkNanos(SHUTDOWN_POLL_NANOS);
      }
    }
    halt();
  }

  /** Stops handling events; the ring no longer waits for this disruptor's handler. */
  @Override
  public void halt() {
    halted = true;
    EventPoller<T> p = poller;
    if (p != null) {
      getRingBuffer().removeGatingSequence(p.getSequence());
    }
  }
}
