package io.ordo.it.membership;

import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static io.ordo.it.cluster.ClusterChecks.replicaOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.NodeInfo;
import io.ordo.client.OrdoClient;
import io.ordo.client.PartitionInfo;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import io.ordo.it.cli.CliResult;
import io.ordo.it.cluster.ClusterExtension;
import io.ordo.it.cluster.ProcessCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Partitions move between nodes by Raft membership change: the new replicas copy the partition,
 * the old ones are deleted, and writes go on throughout, also when the leader itself moves away.
 * The nodes run on racks of their own, which the cluster learns for placement.
 */
class ReassignmentTest {
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(
      // Moves here are by hand only: automatic rebalancing would move the partitions under test too.
      Map.of("--rack", "rack-" + ProcessCluster.NODE_ID, "--rebalance-threshold", "0"));

  @Test
  void theClusterKnowsTheRackEachNodeRunsOn() {
    await("every node's rack known")
        .atMost(Duration.ofSeconds(45))
        .until(() -> CLUSTER.client().admin().describeCluster().nodes().stream().map(NodeInfo::rack).toList(),
            racks -> racks.equals(List.of("rack-1", "rack-2", "rack-3")));
    CliResult status = CliResult.run(CLUSTER.processes().bootstrap(), "", "cluster", "status");
    assertThat(status.out()).contains("RACK").contains("rack-2");
  }

  @Test
  void aPartitionMovesOffItsLeaderToTheNodeItLackedWhileWritesGoOn() throws Exception {
    OrdoClient client = CLUSTER.client();
    client.admin().createTopic("moving", 1, 2);
    PartitionInfo before = awaitLeaders(client, "moving").partitions().get(0);
    int leaving = before.leader();
    int staying = before.replicas().stream().filter(n -> n != leaving).findFirst().orElseThrow();
    int arriving = IntStream.rangeClosed(1, 3).filter(n -> !before.replicas().contains(n)).findFirst().orElseThrow();
    List<Integer> target = List.of(arriving, staying);

    List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
    List<String> values = new ArrayList<>();
    try (Producer producer = client.producer()) {
      for (int i = 0; i < 300; i++) {
        send(producer, "before-" + i, sends, values);
      }
      producer.flush();

      PartitionInfo recorded = client.admin().reassignPartitions("moving", Map.of(0, target)).partitions().get(0);
      assertThat(recorded.targetReplicas()).containsExactlyElementsOf(target);

      // Writes go on while the group changes its members and its leader steps down.
      int during = 0;
      while (!moved(client, target) && during < 100_000) {
        send(producer, "during-" + during++, sends, values);
        if (during % 50 == 0) {
          producer.flush();
        }
      }
      await("the move is done").atMost(Duration.ofSeconds(60)).until(() -> moved(client, target));
      for (int i = 0; i < 100; i++) {
        send(producer, "after-" + i, sends, values);
      }
      producer.flush();
    }

    // Every send acknowledged (the client retries past the leader change), each read once where acknowledged.
    List<ConsumerRecord> read = readAll(client, "moving", 0);
    assertThat(read).extracting(ConsumerRecord::offset).containsExactlyElementsOf(LongStream.range(0, sends.size()).boxed().toList());
    for (int i = 0; i < sends.size(); i++) {
      RecordMetadata acked = sends.get(i).get(60, TimeUnit.SECONDS);
      assertThat(read.get((int) acked.offset()).valueAsString()).isEqualTo(values.get(i));
    }

    long end = client.admin().describeTopic("moving").partitions().get(0).endOffset();
    await("the new replica caught up and the old one is deleted").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(replicaOf(CLUSTER.client(), CLUSTER.processes(), arriving, "moving")).hasValueSatisfying(r -> assertThat(r.getEndOffset()).isEqualTo(end));
      assertThat(replicaOf(CLUSTER.client(), CLUSTER.processes(), leaving, "moving")).isEmpty();
    });
  }

  @Test
  void aPartitionGainsReplicasAndTheCliWaitsForTheMove() {
    OrdoClient client = CLUSTER.client();
    client.admin().createTopic("widening", 1, 1);
    int only = awaitLeaders(client, "widening").partitions().get(0).leader();
    List<Integer> all = new ArrayList<>(List.of(only));
    IntStream.rangeClosed(1, 3).filter(n -> n != only).forEach(all::add);
    String ids = all.get(0) + "," + all.get(1) + "," + all.get(2);

    CliResult move = CliResult.run(CLUSTER.processes().bootstrap(), "", "topic", "reassign", "widening", "--replicas", "0=" + ids, "--wait");

    assertThat(move.exitCode()).as(move.toString()).isZero();
    assertThat(move.out()).contains("partition 0: replicas " + ids);
    await("every replica in sync").atMost(Duration.ofSeconds(30)).until(
        () -> client.admin().describeTopic("widening").partitions().get(0).inSyncReplicas().size() == 3);
    CliResult describe = CliResult.run(CLUSTER.processes().bootstrap(), "", "topic", "describe", "widening");
    assertThat(describe.out()).contains(" " + ids + " ").doesNotContain("->");
  }

  @Test
  void movesToUnknownNodesOrWithoutNodeIdsAreRefused() {
    CLUSTER.client().admin().createTopic("staying", 1, 1);

    CliResult unknown = CliResult.run(CLUSTER.processes().bootstrap(), "", "topic", "reassign", "staying", "--replicas", "0=1,9");
    CliResult garbled = CliResult.run(CLUSTER.processes().bootstrap(), "", "topic", "reassign", "staying", "--replicas", "0=one");

    assertThat(unknown.exitCode()).as(unknown.toString()).isNotZero();
    assertThat(unknown.err()).contains("node 9 is not registered");
    assertThat(garbled.exitCode()).as(garbled.toString()).isNotZero();
    assertThat(garbled.err()).contains("expected node ids separated by commas");
    assertThat(CLUSTER.client().admin().describeTopic("staying").partitions().get(0).targetReplicas()).isEmpty();
  }

  private static boolean moved(OrdoClient client, List<Integer> target) {
    PartitionInfo now = client.admin().describeTopic("moving").partitions().get(0);
    return !now.reassigning() && now.replicas().equals(target) && now.leader() != 0;
  }

  private static void send(Producer producer, String value, List<CompletableFuture<RecordMetadata>> sends, List<String> values) {
    sends.add(producer.send(ProducerRecord.of("moving", value).withPartition(0)));
    values.add(value);
  }
}
