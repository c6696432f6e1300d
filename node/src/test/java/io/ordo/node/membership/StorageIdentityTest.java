package io.ordo.node.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageIdentityTest {
  @TempDir Path dataDir;

  @Test
  void aNewDirectoryKeepsItsStorageIdUntilStartedAndThenItsIncarnationAndClusterId() {
    StorageIdentity fresh = StorageIdentity.open(dataDir, 2);
    assertThat(fresh.started()).isFalse();
    assertThatThrownBy(fresh::incarnation).isInstanceOf(IllegalStateException.class);

    StorageIdentity reopened = StorageIdentity.open(dataDir, 2);
    assertThat(reopened.storageId()).isEqualTo(fresh.storageId()).isNotEmpty();
    assertThat(reopened.started()).isFalse();

    reopened.start(3);
    reopened.learnClusterId("c-1");
    reopened.learnClusterId("");

    StorageIdentity afterRestart = StorageIdentity.open(dataDir, 2);
    assertThat(afterRestart.started()).isTrue();
    assertThat(afterRestart.incarnation()).isEqualTo(3);
    assertThat(afterRestart.clusterId()).isEqualTo("c-1");
    assertThat(afterRestart.storageId()).isEqualTo(fresh.storageId());
  }

  @Test
  void aDirectoryWithRaftDataFromBeforeIdentitiesIsIncarnationZero() throws Exception {
    Files.createDirectories(dataDir.resolve("raft").resolve("metadata"));

    StorageIdentity legacy = StorageIdentity.open(dataDir, 1);

    assertThat(legacy.started()).isTrue();
    assertThat(legacy.incarnation()).isZero();
    assertThat(legacy.clusterId()).isEmpty();
  }

  @Test
  void anotherNodesDirectoryIsRefused() {
    StorageIdentity.open(dataDir, 1);

    assertThatThrownBy(() -> StorageIdentity.open(dataDir, 2))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("belongs to node 1, not node 2");
  }
}
