package io.ordo.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.v1.Acl;
import io.ordo.proto.v1.AclOperation;
import io.ordo.proto.v1.AclPermission;
import io.ordo.proto.v1.PatternType;
import io.ordo.proto.v1.ResourceType;
import java.util.List;
import org.junit.jupiter.api.Test;

class AclRulesTest {
  private static final String BOB = "User:bob";

  @Test
  void noAclMeansNoAccessAndAnAllowGrantsExactlyItsOperation() {
    List<Acl> acls = List.of(topic(BOB, "orders", PatternType.LITERAL, AclOperation.PRODUCE, AclPermission.ALLOW));

    assertThat(AclRules.allows(List.of(), BOB, ResourceType.TOPIC, "orders", AclOperation.PRODUCE)).isFalse();
    assertThat(AclRules.allows(acls, BOB, ResourceType.TOPIC, "orders", AclOperation.PRODUCE)).isTrue();
    assertThat(AclRules.allows(acls, BOB, ResourceType.TOPIC, "orders", AclOperation.CONSUME)).isFalse();
    assertThat(AclRules.allows(acls, BOB, ResourceType.TOPIC, "orders", AclOperation.DESCRIBE)).as("implied").isTrue();
    assertThat(AclRules.allows(acls, BOB, ResourceType.TOPIC, "orders-eu", AclOperation.PRODUCE)).isFalse();
    assertThat(AclRules.allows(acls, "User:alice", ResourceType.TOPIC, "orders", AclOperation.PRODUCE)).isFalse();
    assertThat(AclRules.allows(acls, BOB, ResourceType.GROUP, "orders", AclOperation.DESCRIBE)).isFalse();
  }

  @Test
  void prefixesWildcardsAndAnyPrincipalMatch() {
    List<Acl> acls = List.of(
        topic(AclRules.ANY_PRINCIPAL, "logs.", PatternType.PREFIXED, AclOperation.CONSUME, AclPermission.ALLOW),
        topic(BOB, AclRules.ANY_NAME, PatternType.LITERAL, AclOperation.ALL, AclPermission.ALLOW));

    assertThat(AclRules.allows(acls, "User:alice", ResourceType.TOPIC, "logs.web", AclOperation.CONSUME)).isTrue();
    assertThat(AclRules.allows(acls, "User:alice", ResourceType.TOPIC, "logsweb", AclOperation.CONSUME)).isFalse();
    assertThat(AclRules.allows(acls, BOB, ResourceType.TOPIC, "anything", AclOperation.DELETE)).isTrue();
  }

  @Test
  void denyWinsOverAnyAllowButOnlyForItsOperation() {
    List<Acl> acls = List.of(
        topic(BOB, AclRules.ANY_NAME, PatternType.LITERAL, AclOperation.ALL, AclPermission.ALLOW),
        topic(AclRules.ANY_PRINCIPAL, "secret.", PatternType.PREFIXED, AclOperation.CONSUME, AclPermission.DENY));

    assertThat(AclRules.allows(acls, BOB, ResourceType.TOPIC, "secret.keys", AclOperation.CONSUME)).isFalse();
    assertThat(AclRules.allows(acls, BOB, ResourceType.TOPIC, "secret.keys", AclOperation.DESCRIBE)).isTrue();
    assertThat(AclRules.allows(acls, BOB, ResourceType.TOPIC, "public", AclOperation.CONSUME)).isTrue();
  }

  @Test
  void contradictoryOrIncompleteAclsAreRefused() {
    assertThat(AclRules.problemWith(topic("bob", "t", PatternType.LITERAL, AclOperation.PRODUCE, AclPermission.ALLOW)))
        .contains("not User:NAME");
    assertThat(AclRules.problemWith(topic(BOB, "*", PatternType.PREFIXED, AclOperation.PRODUCE, AclPermission.ALLOW)))
        .contains("is literal");
    assertThat(AclRules.problemWith(topic(BOB, "t", PatternType.LITERAL, AclOperation.JOIN, AclPermission.ALLOW)))
        .contains("not join");
    assertThat(AclRules.problemWith(topic(BOB, "t", PatternType.LITERAL, AclOperation.PRODUCE, AclPermission.ACL_PERMISSION_UNSPECIFIED)))
        .contains("permission");
    assertThat(AclRules.problemWith(Acl.newBuilder().setPrincipal(BOB).setResourceType(ResourceType.CLUSTER).setResourceName("x")
        .setPatternType(PatternType.LITERAL).setOperation(AclOperation.ALTER).setPermission(AclPermission.ALLOW).build()))
        .contains("names no resource");
    assertThat(AclRules.problemWith(topic(BOB, "t", PatternType.LITERAL, AclOperation.PRODUCE, AclPermission.ALLOW))).isNull();
  }

  private static Acl topic(String principal, String name, PatternType pattern, AclOperation operation, AclPermission permission) {
    return Acl.newBuilder().setPrincipal(principal).setResourceType(ResourceType.TOPIC).setResourceName(name)
        .setPatternType(pattern).setOperation(operation).setPermission(permission).build();
  }
}
