package com.alipay.sofa.jraft.util;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.EventFactory;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.ordo.jraft.SharedDisruptors;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * Ordo's stand-in for jraft's builder of the same name and API, through which jraft creates each
 * Raft group's four event queues: it hands them to {@link SharedDisruptors}, which runs them on
 * shared threads instead of a thread per queue. Written for Ordo; not jraft's code.
 */
public final class DisruptorBuilder<T> {
  private EventFactory<T> eventFactory;
  private Integer ringBufferSize;
  private ThreadFactory threadFactory = new NamedThreadFactory("Disruptor-", true);
  private ProducerType producerType = ProducerType.MULTI;
  private WaitStrategy waitStrategy = new BlockingWaitStrategy();

  private DisruptorBuilder() {}

  public static <T> DisruptorBuilder<T> newInstance() {
    return new DisruptorBuilder<>();
  }

  public EventFactory<T> getEventFactory() {
    return eventFactory;
  }

  public DisruptorBuilder<T> setEventFactory(EventFactory<T> eventFactory) {
    this.eventFactory = eventFactory;
    return this;
  }

  public int getRingBufferSize() {
    return ringBufferSize;
  }

  public DisruptorBuilder<T> setRingBufferSize(int ringBufferSize) {
    this.ringBufferSize = ringBufferSize;
    return this;
  }

  public ThreadFactory getThreadFactory() {
    return threadFactory;
  }

  public DisruptorBuilder<T> setThreadFactory(ThreadFactory threadFactory) {
    this.threadFactory = threadFactory;
    return this;
  }

  public ProducerType getProducerType() {
    return producerType;
  }

  public DisruptorBuilder<T> setProducerType(ProducerType producerType) {
    this.producerType = producerType;
    return this;
  }

  public WaitStrategy getWaitStrategy() {
    return waitStrategy;
  }

  public DisruptorBuilder<T> setWaitStrategy(WaitStrategy waitStrategy) {
    this.waitStrategy = waitStrategy;
    return this;
  }

  public Disruptor<T> build() {
    Objects.requireNonNull(ringBufferSize, "ring buffer size not set");
    Objects.requireNonNull(eventFactory, "event factory not set");
    return SharedDisruptors.create(eventFactory, ringBufferSize, threadFactory, producerType, waitStrategy);
  }
}
