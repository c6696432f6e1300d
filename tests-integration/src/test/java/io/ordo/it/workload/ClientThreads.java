package io.ordo.it.workload;

import io.ordo.client.OrdoClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** Threads that each work through a client of their own until closed. */
final class ClientThreads implements AutoCloseable {
  private final Supplier<OrdoClient.Builder> newClient;
  private final Duration joinTimeout;
  private final List<Thread> threads = new ArrayList<>();
  private final List<OrdoClient> clients = new ArrayList<>();
  private volatile boolean running = true;

  ClientThreads(Supplier<OrdoClient.Builder> clients, Duration joinTimeout) {
    this.newClient = clients;
    this.joinTimeout = joinTimeout;
  }

  /** Starts a thread that runs {@code work} with a new client; work should end once not {@link #running}. */
  void start(String name, Consumer<OrdoClient> work) {
    OrdoClient client = newClient.get().requestTimeout(Duration.ofSeconds(5)).build();
    clients.add(client);
    Thread t = new Thread(() -> work.accept(client), name);
    threads.add(t);
    t.start();
  }

  boolean running() {
    return running;
  }

  /** Asks the threads to end, waits for them, then closes their clients. */
  @Override
  public void close() {
    running = false;
    for (Thread t : threads) {
      try {
        t.join(joinTimeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    clients.forEach(OrdoClient::close);
  }
}
