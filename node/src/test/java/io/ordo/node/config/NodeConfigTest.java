package io.ordo.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.raft.storage.DataStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeConfigTest {
  private static final List<ClusterMember> CLUSTER = ClusterMember.parseList("1=a:9201/a:9101,2=b:9201/b:9101");

  @Test
  void nodeMustBeAMemberOfTheInitialCluster() {
    assertThatThrownBy(() -> config(3, CLUSTER, 1024, 4096))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("node 3 is not in the initial cluster");
  }

  @Test
  void aNodeEitherStartsTheClusterOrJoinsIt() {
    assertThatThrownBy(() -> config(3, List.of(), List.of(), 1024, 4096, 1000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not neither");
    assertThatThrownBy(() -> config(1, CLUSTER, List.of(HostPort.parse("a:9101")), 1024, 4096, 1000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not both");
    assertThat(config(3, List.of(), List.of(HostPort.parse("a:9101")), 1024, 4096, 1000).join())
        .containsExactly(HostPort.parse("a:9101"));
  }

  @Test
  void maxBatchBytesBelowMaxRecordBytesIsRefused() {
    assertThatThrownBy(() -> config(1, CLUSTER, 4096, 1024))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max batch bytes");
    assertThatThrownBy(() -> config(1, CLUSTER, 0, 1024)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aParkedReadsCapBelowOneIsRefused() {
    assertThatThrownBy(() -> config(1, CLUSTER, 1024, 1024, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max parked reads");
  }

  @Test
  void initialClusterIsCopied() {
    List<ClusterMember> members = new ArrayList<>(CLUSTER);
    NodeConfig config = config(1, members, 1024, 1024);

    members.clear();

    assertThat(config.initialCluster()).isEqualTo(CLUSTER);
  }

  private static NodeConfig config(int nodeId, List<ClusterMember> cluster, int maxRecordBytes, int maxBatchBytes) {
    return config(nodeId, cluster, maxRecordBytes, maxBatchBytes, 1000);
  }

  private static NodeConfig config(
      int nodeId, List<ClusterMember> cluster, int maxRecordBytes, int maxBatchBytes, int maxParkedReadsPerPartition) {
    return config(nodeId, cluster, List.of(), maxRecordBytes, maxBatchBytes, maxParkedReadsPerPartition);
  }

  private static NodeConfig config(
      int nodeId,
      List<ClusterMember> cluster,
      List<HostPort> join,
      int maxRecordBytes,
      int maxBatchBytes,
      int maxParkedReadsPerPartition) {
    return new NodeConfig(
        nodeId,
        Path.of("data"),
        HostPort.parse("a:9101"),
        HostPort.parse("a:9201"),
        cluster,
        join,
        2000,
        5000,
        600,
        1000,
        1024,
        64,
        DataStore.Compression.NONE,
        maxRecordBytes,
        maxBatchBytes,
        4096,
        1 << 20,
        1L << 40,
        100,
        1 << 20,
        1000,
        maxParkedReadsPerPartition,
        10_000,
        16,
        20_000,
        30,
        -1,
        -1,
        2,
        "",
        null,
        null,
        60,
        false,
        false,
        List.of(),
        true);
  }
}
