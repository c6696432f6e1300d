package io.ordo.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.protocol.KeyPartitioner;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PartitionChooserTest {
  private final PartitionChooser chooser = new PartitionChooser();

  @Test
  void keyedRecordsGoWhereTheirKeyHashes() {
    for (int i = 0; i < 100; i++) {
      byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
      assertThat(chooser.partition("t", key, 7)).isEqualTo(KeyPartitioner.partition(key, 7));
    }
  }

  @Test
  void keylessRecordsStickToOnePartitionUntilABatchBoundary() {
    int first = chooser.partition("t", null, 4);
    for (int i = 0; i < 10; i++) {
      assertThat(chooser.partition("t", null, 4)).isEqualTo(first);
      assertThat(chooser.partition("t", new byte[0], 4)).isEqualTo(first);
    }
    chooser.onBatchBoundary("t", first, 4);
    assertThat(chooser.partition("t", null, 4)).isEqualTo((first + 1) % 4);
  }

  @Test
  void keylessRecordsVisitEveryPartitionRoundRobin() {
    int[] seen = new int[3];
    for (int i = 0; i < 9; i++) {
      int p = chooser.partition("t", null, 3);
      seen[p]++;
      chooser.onBatchBoundary("t", p, 3);
    }
    assertThat(seen).containsExactly(3, 3, 3);
  }

  @Test
  void aBatchBoundaryReportedTwiceMovesOnOnce() {
    int first = chooser.partition("t", null, 5);
    chooser.onBatchBoundary("t", first, 5);
    chooser.onBatchBoundary("t", first, 5);
    assertThat(chooser.partition("t", null, 5)).isEqualTo((first + 1) % 5);
  }

  @Test
  void topicsStickIndependently() {
    int a = chooser.partition("a", null, 1000);
    chooser.partition("b", null, 1000);
    chooser.onBatchBoundary("b", chooser.partition("b", null, 1000), 1000);
    assertThat(chooser.partition("a", null, 1000)).isEqualTo(a);
  }
}
