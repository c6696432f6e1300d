package io.ordo.it.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.client.OrdoClient;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.GroupConfig;
import io.ordo.client.GroupConsumer;
import io.ordo.client.OffsetOutOfRangeException;
import io.ordo.client.OrdoException;
import io.ordo.client.PartitionInfo;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.QueueConsumer;
import io.ordo.client.QueuedRecord;
import io.ordo.client.RecordMetadata;
import io.ordo.client.TopicInfo;
import io.ordo.client.TopicPartition;
import io.ordo.client.UnknownTopicException;
import io.ordo.it.cluster.ClusterChecks;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.proto.v1.CreateQueueGroupRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.LeasedRecord;
import io.ordo.proto.v1.QueuePolicy;
import io.ordo.proto.v1.QueueServiceGrpc;
import io.ordo.proto.v1.ReceiveRequest;
import io.ordo.proto.v1.StartFrom;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A topic changes. It grows: its new partitions get replicas and leaders, its records stay where
 * they were, keyed records reach the new partitions once producers' metadata is refreshed. Its
 * settings change, and retention deletes its oldest records, never those a queue group has not
 * finished. `ordo topic alter` does both from the command line.
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

      assertThat(client.admin().addPartitions("growing", 4).partitions()).hasSize(4);

      TopicInfo grown = ClusterChecks.awaitLeaders(client, "growing");
      assertThat(grown.partitions()).extracting(PartitionInfo::partition).containsExactly(0, 1, 2, 3);
      assertThat(grown.partitions()).allMatch(p -> p.replicas().size() == 3);
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

      assertThat(client.admin().addPartitions("growing", 4).partitions()).as("a repeated change is no error").hasSize(4);
      OrdoException fewer = catchThrowableOfType(OrdoException.class, () -> client.admin().addPartitions("growing", 3));
      assertThat(fewer.errorCode()).isEqualTo(ErrorCode.INVALID_PARTITION_COUNT);
      assertThat(fewer.getMessage()).contains("has 4 partitions").contains("never removed");
      assertThat(catchThrowableOfType(UnknownTopicException.class, () -> client.admin().addPartitions("nope", 2)))
          .isNotNull();
    }
  }

  /**
   * A queue group that starts at the latest records reads a partition added after it from the
   * partition's first record: all of it is newer than the group.
   */
  @Test
  void aLatestStartingQueueGroupReadsAPartitionAddedAfterItFromItsFirstRecord() throws Exception {
    CLUSTER.createTopic("late", 1);
    OrdoClient client = CLUSTER.client();
    ManagedChannel any = ManagedChannelBuilder.forTarget(CLUSTER.processes().clientAddress(1)).usePlaintext().build();
    try {
      QueueServiceGrpc.newBlockingStub(any).withDeadlineAfter(30, TimeUnit.SECONDS).createQueueGroup(
          CreateQueueGroupRequest.newBuilder().setGroup("late-q").setTopic("late").setStart(StartFrom.START_FROM_LATEST).build());
      client.admin().addPartitions("late", 2);
      int leader = ClusterChecks.awaitLeaders(client, "late").partitions().get(1).leader();
      try (Producer producer = client.producer()) {
        producer.send(ProducerRecord.of("late", "first in the new partition").withPartition(1)).get(30, TimeUnit.SECONDS);
      }

      ManagedChannel partitionLeader = ManagedChannelBuilder.forTarget(CLUSTER.processes().clientAddress(leader)).usePlaintext().build();
      try {
        List<LeasedRecord> leased = QueueServiceGrpc.newBlockingStub(partitionLeader).withDeadlineAfter(30, TimeUnit.SECONDS)
            .receive(ReceiveRequest.newBuilder().setGroup("late-q").setTopic("late").setPartition(1).setConsumer("c")
                .setMaxRecords(10).build())
            .getRecordsList();
        assertThat(leased).extracting(r -> r.getRecord().getValue().toStringUtf8()).containsExactly("first in the new partition");
      } finally {
        partitionLeader.shutdownNow();
      }
    } finally {
      any.shutdownNow();
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

  @Test
  void retentionBytesDeletesTheOldestRecordsAndAReadBelowTheStartIsOutOfRange() throws Exception {
    OrdoClient client = CLUSTER.client();
    createTopic(client, "bounded", Map.of("retention.bytes", "2000"));
    try (Producer producer = client.producer()) {
      for (int i = 0; i < 60; i++) {
        // One at a time: each is a batch of its own, the unit retention deletes.
        producer.send(ProducerRecord.of("bounded", "v".repeat(100) + i)).get(30, TimeUnit.SECONDS);
      }
    }

    // 2000 bytes hold about 15 of these records: the start moves (in one or more trims, as the
    // leader looks every 5 s) until the partition keeps about that many, and no further.
    PartitionInfo trimmed = await("the oldest records deleted")
        .atMost(Duration.ofSeconds(30))
        .until(() -> client.admin().describeTopic("bounded").partitions().get(0), p -> p.startOffset() >= 40);
    assertThat(trimmed.endOffset()).isEqualTo(60);
    assertThat(trimmed.startOffset()).isLessThanOrEqualTo(50);
    OffsetOutOfRangeException below = catchThrowableOfType(
        OffsetOutOfRangeException.class, () -> client.consumer().fetch("bounded", 0, 0, 10, 0, Duration.ZERO));
    assertThat(below.startOffset()).isGreaterThanOrEqualTo(trimmed.startOffset());
    assertThat(below.endOffset()).isEqualTo(60);
    assertThat(client.consumer().fetch("bounded", 0, below.startOffset(), 100, 0, Duration.ZERO).records())
        .last().extracting(r -> r.offset()).isEqualTo(59L);
  }

  @Test
  void retentionKeepsTheRecordsAQueueGroupHasNotFinished() throws Exception {
    OrdoClient client = CLUSTER.client();
    createTopic(client, "pinned", Map.of("retention.ms", "1"));
    ClusterChecks.createQueueGroup(client, "pinned-q", "pinned", QueuePolicy.getDefaultInstance());
    try (Producer producer = client.producer()) {
      for (int i = 0; i < 20; i++) {
        producer.send(ProducerRecord.of("pinned", "r" + i)).get(30, TimeUnit.SECONDS);
      }
    }
    // No consumer yet: the group has no place in the partition, whose records it may all still need.
    await("records kept for a group without consumers")
        .during(Duration.ofSeconds(6))
        .atMost(Duration.ofSeconds(15))
        .until(() -> client.admin().describeTopic("pinned").partitions().get(0).startOffset() == 0);
    try (QueueConsumer consumer = client.queueConsumer("pinned-q", "pinned")) {
      List<QueuedRecord> first = new ArrayList<>();
      while (first.size() < 8) {
        first.addAll(consumer.receive(8 - first.size(), Duration.ofSeconds(5)));
      }
      assertThat(first).extracting(r -> r.record().offset()).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
      // Finish the first five: every record is past its retention, but the sixth on are the group's still.
      consumer.ackAll(first.subList(0, 5));

      await("records the group finished deleted")
          .atMost(Duration.ofSeconds(30))
          .until(() -> client.admin().describeTopic("pinned").partitions().get(0).startOffset() == 5);
      await("the records it has not finished kept")
          .during(Duration.ofSeconds(7))
          .atMost(Duration.ofSeconds(15))
          .until(() -> client.admin().describeTopic("pinned").partitions().get(0).startOffset() == 5);
    }
  }

  @Test
  void aStreamGroupWhoseRecordsRetentionDeletedGoesOnFromTheOldestLeft() throws Exception {
    OrdoClient client = CLUSTER.client();
    createTopic(client, "expiring", Map.of());
    try (Producer producer = client.producer()) {
      for (int i = 0; i < 10; i++) {
        producer.send(ProducerRecord.of("expiring", "e" + i)).get(30, TimeUnit.SECONDS);
      }
    }
    try (GroupConsumer member = client.groupConsumer(GroupConfig.of("behind", "expiring"))) {
      List<ConsumerRecord> read = new ArrayList<>();
      while (read.size() < 3) {
        read.addAll(member.poll(Duration.ofSeconds(5)));
      }
      member.commit(Map.of(new TopicPartition("expiring", 0), 3L));
    }
    // Everything goes once retention is a millisecond: the group's offset 3 with it.
    client.admin().alterTopicConfig("expiring", Map.of("retention.ms", "1"), List.of());
    await("every record deleted")
        .atMost(Duration.ofSeconds(30))
        .until(() -> client.admin().describeTopic("expiring").partitions().get(0).startOffset() == 10);
    client.admin().alterTopicConfig("expiring", Map.of(), List.of("retention.ms"));
    try (Producer producer = client.producer()) {
      producer.send(ProducerRecord.of("expiring", "after")).get(30, TimeUnit.SECONDS);
    }

    try (GroupConsumer member = client.groupConsumer(GroupConfig.of("behind", "expiring"))) {
      List<ConsumerRecord> read = new ArrayList<>();
      await("the group reads on").atMost(Duration.ofSeconds(30)).until(() -> {
        read.addAll(member.poll(Duration.ofSeconds(1)));
        return !read.isEmpty();
      });
      assertThat(read).extracting(ConsumerRecord::offset).containsExactly(10L);
    }
  }

  @Test
  void ordoTopicAlterChangesATopicsSettings() {
    CLUSTER.createTopic("tuned", 1);
    String bootstrap = CLUSTER.processes().bootstrap();

    CliResult set = await("topic settings enabled")
        .atMost(Duration.ofSeconds(30))
        .until(() -> CliResult.run(bootstrap, "", "topic", "alter", "tuned", "--config", "retention.ms=3600000"),
            r -> !r.err().contains("not enabled yet"));
    CliResult described = CliResult.run(bootstrap, "", "topic", "describe", "tuned", "--output", "json");
    CliResult reset = CliResult.run(bootstrap, "", "topic", "alter", "tuned", "--reset-config", "retention.ms");
    CliResult unknown = CliResult.run(bootstrap, "", "topic", "alter", "tuned", "--config", "segment.ms=1000");
    CliResult nothing = CliResult.run(bootstrap, "", "topic", "alter", "tuned");

    assertThat(set.exitCode()).as(set.toString()).isZero();
    assertThat(set.out()).contains("config retention.ms=3600000");
    assertThat(described.out()).contains("\"config\":{\"retention.ms\":\"3600000\"}");
    assertThat(reset.out()).contains("config (the nodes' defaults)");
    assertThat(unknown.exitCode()).isNotZero();
    assertThat(unknown.err()).contains("unknown topic setting 'segment.ms'").contains("cleanup.policy");
    assertThat(nothing.exitCode()).isEqualTo(2);
    assertThat(nothing.err()).contains("nothing to change");
  }

  /** Creates a topic with settings, once the cluster has them (its feature level is final a few seconds after it starts). */
  private static void createTopic(OrdoClient client, String name, Map<String, String> config) {
    await("topic settings enabled")
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptionsMatching(e -> e instanceof OrdoException o && o.errorCode() == ErrorCode.FEATURE_NOT_ENABLED)
        .until(() -> client.admin().createTopic(name, 1, 3, config) != null);
    ClusterChecks.awaitLeaders(client, name);
  }

  private static RecordMetadata send(Producer producer, int key) throws Exception {
    return producer
        .send(ProducerRecord.of("growing", ("key-" + key).getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8)))
        .get(30, TimeUnit.SECONDS);
  }
}
