package io.ordo.it.workload;

import io.ordo.client.Consumer;
import io.ordo.client.OrdoClient;
import io.ordo.client.Subscription;
import io.ordo.it.history.PartitionRead;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One subscription per partition from its start, recording every record it is handed while the
 * faults run. What they saw must agree with the final reads: a reader must never see a record that
 * the log later does not hold at that offset.
 */
public final class FollowingReaders implements AutoCloseable {
  private final OrdoClient client;
  private final List<Subscription> subscriptions = new ArrayList<>();
  private final List<PartitionRead> seen = new ArrayList<>();

  public FollowingReaders(Supplier<OrdoClient.Builder> clients, String topic, int partitions) {
    this.client = clients.get().requestTimeout(Duration.ofSeconds(5)).build();
    for (int p = 0; p < partitions; p++) {
      int partition = p;
      subscriptions.add(
          client.consumer().subscribe(topic, p, Consumer.EARLIEST, r -> {
            synchronized (seen) {
              seen.add(new PartitionRead(partition, r.offset(), r.valueAsString()));
            }
          }));
    }
  }

  public List<PartitionRead> seen() {
    synchronized (seen) {
      return List.copyOf(seen);
    }
  }

  @Override
  public void close() {
    subscriptions.forEach(Subscription::close);
    client.close();
  }
}
