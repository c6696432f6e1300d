package io.ordo.it.log;

import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.client.OrdoClient;
import io.ordo.it.cluster.ClusterExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A new partition's preferred replica campaigns first (after a fraction of a second; the others
 * wait the 5 s election timeout), so a new topic's partitions are led where placement spread them,
 * without waiting for the leader balancer (off here).
 */
class NewPartitionLeadersTest {
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of("--leader-balance-interval-secs", "0"));

  @Test
  void aNewTopicsPartitionsAreFirstLedByTheirPreferredReplicas() {
    OrdoClient client = CLUSTER.client();
    client.admin().createTopic("fresh", 6, 3);

    // Led by chance, all six would be preferred once in 729 tries.
    assertThat(awaitLeaders(client, "fresh").partitions())
        .allSatisfy(p -> assertThat(p.leader()).as("leader of partition %d", p.partition()).isEqualTo(p.replicas().get(0)));
  }
}
