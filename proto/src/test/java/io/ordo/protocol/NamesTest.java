package io.ordo.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NamesTest {
  @Test
  void acceptsLettersDigitsDotsUnderscoresAndDashes() {
    assertThat(Names.topicProblem("orders.v2_eu-west-1")).isNull();
    assertThat(Names.topicProblem("a".repeat(Names.MAX_LENGTH))).isNull();
  }

  @Test
  void rejectsEmptyLongDotOnlyAndOtherCharacters() {
    assertThat(Names.topicProblem("")).contains("empty");
    assertThat(Names.topicProblem(null)).contains("empty");
    assertThat(Names.topicProblem("a".repeat(Names.MAX_LENGTH + 1))).contains("limit is 200");
    assertThat(Names.topicProblem("..")).isNotNull();
    assertThat(Names.topicProblem("a/b")).contains("only letters");
    assertThat(Names.topicProblem("a b")).contains("only letters");
    assertThat(Names.topicProblem("ünïcode")).contains("only letters");
  }

  @Test
  void groupNamesFollowTheSameRulesAndSayTheyAreAboutAGroup() {
    assertThat(Names.groupProblem("billing-workers.v2")).isNull();
    assertThat(Names.groupProblem("")).isEqualTo("group name is empty");
    assertThat(Names.groupProblem("a b")).startsWith("group name 'a b'");
  }

  @Test
  void userNamesMayHaveAnAtButNothingAHeaderOrASubjectUses() {
    assertThat(Names.userProblem("bob@example.com")).isNull();
    assertThat(Names.userProblem("bob:admin")).contains("only letters, digits, '.', '_', '-' and '@'");
    assertThat(Names.userProblem("CN=bob,O=x")).startsWith("user name 'CN=bob,O=x'");
    assertThat(Names.topicProblem("a@b")).contains("only letters");
    assertThat(Names.userProblem("anonymous")).contains("reserved");
  }
}
