package io.ordo.it.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.PartitionInfo;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import io.ordo.client.TopicInfo;
import io.ordo.client.UnknownTopicException;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.proto.v1.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A topic grows: its new partitions get replicas and leaders, its records stay where they were,
 * keyed records reach the new partitions once producers' metadata is refreshed, and `ordo topic
 * alter` does the same from the command line.
 */
class TopicAlterTest {
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of());

  @Test
  void aGrownTopicsNewPartitionsGetKeyedRecordsAndItsOldOnesKeepTheirs() throws Exception {
    CLUSTER.createTopic("growing", 2);
    try (OrdoClient client = OrdoClient.builder()
            .bootstrap(CLUSTER.processes().bootstrap())
            .metadataMaxAge(Duration.ofSeconds(1))
            .build();
        Producer producer = client.producer()) {
      for (int k = 0; k < 20; k++) {
        assertThat(send(producer, k).partition()).isLessThan(2);
      }

      TopicInfo grown = client.admin().addPartitions("growing", 4);

      assertThat(grown.partitions()).extracting(PartitionInfo::partition).containsExactly(0, 1, 2, 3);
      assertThat(grown.partitions()).allMatch(p -> p.leader() != 0 && p.replicas().size() == 3);
      assertThat(grown.partitions().get(0).endOffset() + grown.partitions().get(1).endOffset()).isEqualTo(20);
      // Within the producer's metadata age, keys start to hash over four partitions.
      await("a keyed record in a new partition")
          .atMost(Duration.ofSeconds(30))
          .until(() -> {
            for (int k = 0; k < 10; k++) {
              if (send(producer, k).partition() >= 2) {
                return true;
              }
            }
            return false;
          });

      OrdoException same = catchThrowableOfType(OrdoException.class, () -> client.admin().addPartitions("growing", 4));
      assertThat(same.errorCode()).isEqualTo(ErrorCode.INVALID_PARTITION_COUNT);
      assertThat(same.getMessage()).contains("has 4 partitions").contains("never removed");
      assertThat(catchThrowableOfType(UnknownTopicException.class, () -> client.admin().addPartitions("nope", 2)))
          .isNotNull();
    }
  }

  @Test
  void ordoTopicAlterGrowsATopic() {
    CLUSTER.createTopic("by-hand", 1);

    CliResult alter = CliResult.run(CLUSTER.processes().bootstrap(), "", "topic", "alter", "by-hand", "--partitions", "3");
    CliResult shrink = CliResult.run(CLUSTER.processes().bootstrap(), "", "topic", "alter", "by-hand", "--partitions", "2");

    assertThat(alter.exitCode()).as(alter.toString()).isZero();
    assertThat(alter.out()).contains("topic by-hand").contains("partitions 3");
    assertThat(shrink.exitCode()).as(shrink.toString()).isNotZero();
    assertThat(shrink.err()).contains("has 3 partitions").contains("never removed");
  }

  private static RecordMetadata send(Producer producer, int key) throws Exception {
    return producer
        .send(ProducerRecord.of("growing", ("key-" + key).getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8)))
        .get(30, TimeUnit.SECONDS);
  }
}
