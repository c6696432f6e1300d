package io.ordo.raft.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.raft.v1.TopicConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicConfigsTest {
  @Test
  void settingsAreSetAndResetByTheirKafkaNames() {
    TopicConfig set = TopicConfigs.apply(
        TopicConfig.getDefaultInstance(), Map.of("retention.ms", "60000", "retention.bytes", "-1"), List.of());
    TopicConfig reset = TopicConfigs.apply(set, Map.of(), List.of("retention.bytes"));

    assertThat(TopicConfigs.describe(set)).containsExactly(Map.entry("retention.bytes", "-1"), Map.entry("retention.ms", "60000"));
    assertThat(TopicConfigs.describe(reset)).containsExactly(Map.entry("retention.ms", "60000"));
    assertThat(TopicConfigs.problem(set)).isNull();
  }

  @Test
  void compactionSettingsRoundTripAndSayWhatTheyTurnOn() {
    TopicConfig compact = TopicConfigs.apply(TopicConfig.getDefaultInstance(), Map.of(
        "cleanup.policy", "compact", "delete.retention.ms", "1000", "min.compaction.lag.ms", "0",
        "min.cleanable.dirty.ratio", "0.25"), List.of());
    TopicConfig both = TopicConfigs.apply(compact, Map.of("cleanup.policy", "delete,compact"), List.of());

    assertThat(TopicConfigs.describe(compact)).containsEntry("cleanup.policy", "compact")
        .containsEntry("delete.retention.ms", "1000").containsEntry("min.cleanable.dirty.ratio", "0.25");
    assertThat(TopicConfigs.compacted(compact)).isTrue();
    assertThat(TopicConfigs.deletes(compact)).isFalse();
    assertThat(TopicConfigs.describe(both)).containsEntry("cleanup.policy", "compact,delete");
    assertThat(TopicConfigs.deletes(both)).isTrue();
    assertThat(TopicConfigs.usesCompaction(compact)).isTrue();
    assertThat(TopicConfigs.compacted(TopicConfig.getDefaultInstance())).isFalse();
  }

  @Test
  void unknownNamesAndBadValuesAreRefusedWithWhatIsAllowed() {
    TopicConfig none = TopicConfig.getDefaultInstance();

    assertThatThrownBy(() -> TopicConfigs.apply(none, Map.of("segment.ms", "1000"), List.of()))
        .isInstanceOf(TopicConfigs.InvalidConfigException.class)
        .hasMessageContaining("unknown topic setting 'segment.ms'")
        .hasMessageContaining("retention.ms, retention.bytes, cleanup.policy");
    assertThatThrownBy(() -> TopicConfigs.apply(none, Map.of("cleanup.policy", "forever"), List.of()))
        .hasMessageContaining("must be delete, compact or compact,delete, not 'forever'");
    assertThatThrownBy(() -> TopicConfigs.apply(none, Map.of("min.cleanable.dirty.ratio", "1.5"), List.of()))
        .hasMessageContaining("must be from 0 to 1, not 1.5");
    assertThatThrownBy(() -> TopicConfigs.apply(none, Map.of("retention.ms", "1d"), List.of()))
        .hasMessageContaining("must be a whole number, not '1d'");
    assertThatThrownBy(() -> TopicConfigs.apply(none, Map.of("retention.bytes", "0"), List.of()))
        .hasMessageContaining("must be positive, or -1");
    assertThatThrownBy(() -> TopicConfigs.apply(none, Map.of(), List.of("retention")))
        .hasMessageContaining("unknown topic setting 'retention'");
  }
}
