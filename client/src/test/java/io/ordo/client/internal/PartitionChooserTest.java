package io.ordo.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.protocol.KeyPartitioner;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PartitionChooserTest {
  private static final int STINT_BYTES = 1000;
  private final PartitionChooser chooser = new PartitionChooser();

  @Test
  void keyedRecordsGoWhereTheirKeyHashes() {
    for (int i = 0; i < 100; i++) {
      byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
      assertThat(chooser.partition("t", key, 7)).isEqualTo(KeyPartitioner.partition(key, 7));
    }
  }

  @Test
  void keylessRecordsStickToOnePartitionUntilABatchsWorthOfBytesWentThere() {
    int first = chooser.partition("t", null, 4);
    for (int i = 0; i < 9; i++) {
      assertThat(chooser.partition("t", i % 2 == 0 ? null : new byte[0], 4)).isEqualTo(first);
      chooser.onAppended("t", first, 100, 4, STINT_BYTES);
    }
    assertThat(chooser.partition("t", null, 4)).isEqualTo(first);
    chooser.onAppended("t", first, 100, 4, STINT_BYTES);
    assertThat(chooser.partition("t", null, 4)).isEqualTo((first + 1) % 4);
  }

  @Test
  void keylessRecordsVisitEveryPartitionRoundRobin() {
    int[] seen = new int[3];
    for (int i = 0; i < 9; i++) {
      int p = chooser.partition("t", null, 3);
      seen[p]++;
      chooser.onAppended("t", p, STINT_BYTES, 3, STINT_BYTES);
    }
    assertThat(seen).containsExactly(3, 3, 3);
  }

  @Test
  void recordsThatRacedPastAMoveDoNotMoveItAgain() {
    int first = chooser.partition("t", null, 5);
    chooser.onAppended("t", first, STINT_BYTES, 5, STINT_BYTES);
    chooser.onAppended("t", first, STINT_BYTES, 5, STINT_BYTES);
    assertThat(chooser.partition("t", null, 5)).isEqualTo((first + 1) % 5);
    chooser.onAppended("t", (first + 1) % 5, STINT_BYTES - 1, 5, STINT_BYTES);
    assertThat(chooser.partition("t", null, 5)).isEqualTo((first + 1) % 5);
  }

  @Test
  void topicsStickIndependently() {
    int a = chooser.partition("a", null, 1000);
    int b = chooser.partition("b", null, 1000);
    chooser.onAppended("b", b, STINT_BYTES, 1000, STINT_BYTES);
    assertThat(chooser.partition("a", null, 1000)).isEqualTo(a);
    assertThat(chooser.partition("b", null, 1000)).isEqualTo((b + 1) % 1000);
  }
}
