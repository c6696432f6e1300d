package io.ordo.it.membership;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;
import static io.ordo.it.cluster.ClusterChecks.produceAll;
import static io.ordo.it.cluster.ClusterChecks.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.OrdoClient;
import io.ordo.client.PartitionInfo;
import io.ordo.client.ProducerRecord;
import io.ordo.it.cluster.ProcessCluster;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * A node whose data directory was lost must not vote as if it still held its log. Here the only
 * copies of some acknowledged records are on the leader and on a follower whose disk is then
 * wiped; with the leader down, the wiped follower and the third replica (which never had them)
 * are two of three, enough to elect a leader that would drop them. The wiped node comes back as a
 * new incarnation that no group counts until it has caught up, so the partition waits for its
 * leader instead, and every acknowledged record is read once it is back.
 */
class DiskLossTest {
  private static final int RECORDS = 200;
  /** Long enough for several partition elections (the tests' nodes time out in well under a second). */
  private static final Duration WITHOUT_LEADER = Duration.ofSeconds(8);

  @Test
  void anAcknowledgedWriteSurvivesAWipedFollowerAndThenTheLeadersLoss(TestInfo info) throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.freshDirectory(info.getTestMethod().orElseThrow().getName()), 3, Map.of());
        OrdoClient client = OrdoClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(Duration.ofSeconds(5)).build()) {
      awaitHealthy(client, 3);
      await("the cluster names itself").atMost(Duration.ofSeconds(30)).until(() -> IntStream.rangeClosed(1, 3).allMatch(
          node -> Files.exists(cluster.dataDir(node).resolve("identity.properties")) && readIdentity(cluster, node).contains("cluster-id=")));
      client.admin().createTopic("orders", 1, 3);
      int leader = awaitLeaders(client, "orders").partitions().get(0).leader();
      List<Integer> followers = IntStream.rangeClosed(1, 3).filter(n -> n != leader).boxed().toList();
      int wiped = followers.get(0);
      int behind = followers.get(1);

      cluster.stop(behind);
      produceAll(client, IntStream.range(0, RECORDS).mapToObj(i -> ProducerRecord.of("orders", "r-" + i)).toList());
      cluster.stop(wiped);
      cluster.wipe(wiped);
      cluster.kill(leader);
      cluster.start(behind);
      cluster.start(wiped);

      // Two of three nodes run, but one of them holds nothing it acknowledged: no leader may be elected.
      long until = System.nanoTime() + WITHOUT_LEADER.toNanos();
      while (System.nanoTime() < until) {
        assertThat(leaderOf(client)).as("leader of orders/0 with node %d down and node %d wiped", leader, wiped).isZero();
        Thread.sleep(250);
      }

      cluster.start(leader);
      awaitHealthy(client, 3);
      awaitLeaders(client, "orders");
      List<ConsumerRecord> read = readAll(client, "orders", 0);
      assertThat(read).extracting(ConsumerRecord::valueAsString)
          .containsExactlyElementsOf(IntStream.range(0, RECORDS).mapToObj(i -> "r-" + i).toList());
      await("node " + wiped + " back in the partition's group, as a new incarnation").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        PartitionInfo p = client.admin().describeTopic("orders").partitions().get(0);
        assertThat(p.inSyncReplicas()).containsExactlyInAnyOrder(1, 2, 3);
      });
      assertThat(readIdentity(cluster, wiped)).contains("incarnation=1");
    }
  }

  private static int leaderOf(OrdoClient client) {
    try {
      return client.admin().describeTopic("orders").partitions().get(0).leader();
    } catch (RuntimeException noAnswer) {
      return 0; // no metadata leader either
    }
  }

  private static String readIdentity(ProcessCluster cluster, int node) {
    try {
      return Files.readString(cluster.dataDir(node).resolve("identity.properties"));
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
