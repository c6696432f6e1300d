package io.ordo.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.client.testing.FakeCluster;
import io.ordo.proto.v1.ErrorCode;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminTest {
  private FakeCluster cluster;
  private OrdoClient client;

  @BeforeEach
  void start() throws Exception {
    cluster = new FakeCluster(3);
    client =
        OrdoClient.builder()
            .bootstrap(cluster.bootstrap())
            .requestTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    cluster.close();
  }

  @Test
  void createsDescribesListsAndDeletesTopics() {
    TopicInfo created = client.admin().createTopic("orders", 2, 3);
    assertThat(created.name()).isEqualTo("orders");
    assertThat(created.partitions()).hasSize(2);

    TopicInfo described = client.admin().describeTopic("orders");
    PartitionInfo p1 = described.partitions().get(1);
    assertThat(p1.partition()).isEqualTo(1);
    assertThat(p1.leader()).isEqualTo(2);
    assertThat(p1.replicas()).containsExactly(2, 3, 1);

    assertThat(client.admin().listTopics()).containsExactly(new TopicSummary("orders", 2, 3));
    client.admin().deleteTopic("orders");
    assertThat(client.admin().listTopics()).isEmpty();
  }

  @Test
  void aDefiniteErrorIsReportedWithItsCode() {
    client.admin().createTopic("orders", 1, 3);
    assertThatThrownBy(() -> client.admin().createTopic("orders", 1, 3))
        .isInstanceOfSatisfying(
            OrdoException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.TOPIC_ALREADY_EXISTS));
    assertThatThrownBy(() -> client.admin().describeTopic("missing"))
        .isInstanceOf(UnknownTopicException.class);
  }

  @Test
  void aDeadBootstrapNodeIsSkipped() throws Exception {
    cluster.stop(1);
    ClusterInfo info = client.admin().describeCluster();
    assertThat(info.nodes()).extracting(NodeInfo::nodeId).containsExactly(1, 2, 3);
    assertThat(info.metadataLeader()).isEqualTo(1);
  }

  @Test
  void noLiveNodeFailsWithARetriableErrorNamingTheAddresses() throws Exception {
    try (OrdoClient lonely =
        OrdoClient.builder()
            .bootstrap("127.0.0.1:1")
            .requestTimeout(Duration.ofMillis(300))
            .build()) {
      assertThatThrownBy(() -> lonely.admin().listTopics())
          .isInstanceOfSatisfying(
              OrdoException.class,
              e -> {
                assertThat(e.isRetriable()).isTrue();
                assertThat(e.getMessage()).contains("127.0.0.1:1");
              });
    }
  }

  @Test
  void rejectsMalformedBootstrapAddresses() {
    assertThatThrownBy(() -> OrdoClient.builder().bootstrap("localhost"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OrdoClient.builder().bootstrap(" , "))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
