package io.ordo.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TopicNamesTest {
  @Test
  void acceptsLettersDigitsDotsUnderscoresAndDashes() {
    assertThat(TopicNames.problemWith("orders.v2_eu-west-1")).isNull();
    assertThat(TopicNames.problemWith("a".repeat(TopicNames.MAX_LENGTH))).isNull();
  }

  @Test
  void rejectsEmptyLongDotOnlyAndOtherCharacters() {
    assertThat(TopicNames.problemWith("")).contains("empty");
    assertThat(TopicNames.problemWith(null)).contains("empty");
    assertThat(TopicNames.problemWith("a".repeat(TopicNames.MAX_LENGTH + 1))).contains("limit is 200");
    assertThat(TopicNames.problemWith("..")).isNotNull();
    assertThat(TopicNames.problemWith("a/b")).contains("only letters");
    assertThat(TopicNames.problemWith("a b")).contains("only letters");
    assertThat(TopicNames.problemWith("ünïcode")).contains("only letters");
  }
}
