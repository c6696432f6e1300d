package io.ordo.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeyPartitionerTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void murmur2MatchesKafkasReferenceValues() {
    // Reference values from Kafka's UtilsTest#testMurmur2.
    assertThat(KeyPartitioner.murmur2(utf8("21"))).isEqualTo(-973932308);
    assertThat(KeyPartitioner.murmur2(utf8("foobar"))).isEqualTo(-790332482);
    assertThat(KeyPartitioner.murmur2(utf8("a-little-bit-long-string"))).isEqualTo(-985981536);
    assertThat(KeyPartitioner.murmur2(utf8("a-little-bit-longer-string"))).isEqualTo(-1486304829);
    assertThat(KeyPartitioner.murmur2(utf8("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")))
        .isEqualTo(-58897971);
    assertThat(KeyPartitioner.murmur2(new byte[] {'a', 'b', 'c'})).isEqualTo(479470107);
  }

  @Test
  void sameKeyAlwaysMapsToSamePartitionInRange() {
    for (int i = 0; i < 10_000; i++) {
      byte[] key = utf8("key-" + i);
      int p = KeyPartitioner.partition(key, 6);
      assertThat(p).isBetween(0, 5).isEqualTo(KeyPartitioner.partition(key.clone(), 6));
    }
  }

  @Test
  void keysSpreadOverAllPartitions() {
    int[] counts = new int[6];
    for (int i = 0; i < 60_000; i++) {
      counts[KeyPartitioner.partition(utf8("key-" + i), 6)]++;
    }
    for (int c : counts) {
      assertThat(c).isBetween(9_000, 11_000);
    }
  }

  @Test
  void rejectsNonPositivePartitionCount() {
    assertThatThrownBy(() -> KeyPartitioner.partition(utf8("k"), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
