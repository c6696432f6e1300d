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
  void unknownNamesAndBadValuesAreRefusedWithWhatIsAllowed() {
    TopicConfig none = TopicConfig.getDefaultInstance();

    assertThatThrownBy(() -> TopicConfigs.apply(none, Map.of("cleanup.policy", "compact"), List.of()))
        .isInstanceOf(TopicConfigs.InvalidConfigException.class)
        .hasMessageContaining("unknown topic setting 'cleanup.policy'")
        .hasMessageContaining("retention.ms and retention.bytes");
    assertThatThrownBy(() -> TopicConfigs.apply(none, Map.of("retention.ms", "1d"), List.of()))
        .hasMessageContaining("must be a whole number, not '1d'");
    assertThatThrownBy(() -> TopicConfigs.apply(none, Map.of("retention.bytes", "0"), List.of()))
        .hasMessageContaining("must be positive, or -1");
    assertThatThrownBy(() -> TopicConfigs.apply(none, Map.of(), List.of("retention")))
        .hasMessageContaining("unknown topic setting 'retention'");
  }
}
