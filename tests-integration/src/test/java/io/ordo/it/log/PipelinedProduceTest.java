package io.ordo.it.log;

import static io.ordo.it.cluster.ClusterChecks.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.Producer;
import io.ordo.client.ProducerConfig;
import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import io.ordo.it.cluster.ClusterExtension;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A producer with 5 requests per partition in flight against leaders that refuse some of them
 * (a small --max-pending-bytes-per-partition: OVERLOADED while earlier ones replicate) while the
 * ones behind get through: every record lands once, in send order.
 */
class PipelinedProduceTest {
  private static final String TOPIC = "pipelined";
  private static final int PARTITIONS = 2;
  private static final int RECORDS = 20_000;
  private static final int RECORD_BYTES = 1_000;
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of("--max-pending-bytes-per-partition", "100000"));

  @BeforeAll
  static void start() {
    CLUSTER.createTopic(TOPIC, PARTITIONS);
  }

  @Test
  void requestsRefusedInTheMiddleOfAPipelineKeepEveryPartitionInSendOrder() {
    OrdoClient client = CLUSTER.client();
    List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    try (Producer producer = client.producer(ProducerConfig.builder().batchBytes(40_000).build())) {
      for (int i = 0; i < RECORDS; i++) {
        byte[] value = new byte[RECORD_BYTES];
        ByteBuffer.wrap(value).putLong(i);
        sent.add(producer.send(ProducerRecord.of(TOPIC, value).withPartition(i % PARTITIONS)));
      }
      sent.forEach(CompletableFuture::join);
    }
    for (int p = 0; p < PARTITIONS; p++) {
      List<Long> sequence = new ArrayList<>();
      for (ConsumerRecord r : readAll(client, TOPIC, p)) {
        sequence.add(ByteBuffer.wrap(r.value()).getLong());
      }
      int firstWrong = 0;
      while (firstWrong < sequence.size() && sequence.get(firstWrong) == p + (long) firstWrong * PARTITIONS) {
        firstWrong++;
      }
      assertThat(firstWrong).as("partition %d: records in the order sent, once each, up to offset %d; from there: %s",
              p, firstWrong, sequence.subList(firstWrong, Math.min(sequence.size(), firstWrong + 10)))
          .isEqualTo(RECORDS / PARTITIONS);
      assertThat(sequence).hasSize(RECORDS / PARTITIONS);
    }
  }
}
