package io.ordo.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClusterMemberTest {
  @Test
  void parsesOneMember() {
    assertThat(ClusterMember.parseList("1=127.0.0.1:9201/127.0.0.1:9101"))
        .containsExactly(new ClusterMember(1, new HostPort("127.0.0.1", 9201), new HostPort("127.0.0.1", 9101)));
  }

  @Test
  void parsesSeveralMembersInOrderIgnoringSpaceAroundThem() {
    assertThat(ClusterMember.parseList("1=10.0.0.1:9201/10.0.0.1:9101, 3=node-3:9201/node-3:9101 ,2=10.0.0.2:9201/10.0.0.2:9101"))
        .containsExactly(
            new ClusterMember(1, new HostPort("10.0.0.1", 9201), new HostPort("10.0.0.1", 9101)),
            new ClusterMember(3, new HostPort("node-3", 9201), new HostPort("node-3", 9101)),
            new ClusterMember(2, new HostPort("10.0.0.2", 9201), new HostPort("10.0.0.2", 9101)));
  }

  @Test
  void duplicateNodeIdIsRefused() {
    assertThatThrownBy(() -> ClusterMember.parseList("1=a:1/a:2,2=b:1/b:2,1=c:1/c:2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("node id 1 appears twice in the initial cluster");
  }

  @ParameterizedTest
  @ValueSource(strings = {"x=a:1/a:2", "1.5=a:1/a:2", "99999999999=a:1/a:2"})
  void nonNumericNodeIdIsRefusedNamingTheMember(String text) {
    assertThatThrownBy(() -> ClusterMember.parseList(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("node id in '" + text + "' is not a number");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0=a:1/a:2", "-1=a:1/a:2"})
  void nodeIdsMustBePositive(String text) {
    assertThatThrownBy(() -> ClusterMember.parseList(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("node ids must be positive");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1", "a:1/a:2", "=a:1/a:2", "1=a:1", "1/a:1=a:2", "1=a:1,2=b:1/b:2"})
  void memberNotInTheIdEqualsRaftSlashClientFormIsRefusedWithAnExample(String text) {
    assertThatThrownBy(() -> ClusterMember.parseList(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not ID=RAFT_HOST:PORT/CLIENT_HOST:PORT")
        .hasMessageContaining("as in 1=127.0.0.1:9201/127.0.0.1:9101");
  }

  @Test
  void badRaftAddressIsRefusedNamingIt() {
    assertThatThrownBy(() -> ClusterMember.parseList("1=a:1/a:2,2=10.0.0.2/10.0.0.2:9101"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'10.0.0.2' is not host:port");
  }

  @Test
  void badClientAddressIsRefusedNamingIt() {
    assertThatThrownBy(() -> ClusterMember.parseList("1=a:1/a:port"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a:port' has no numeric port");
    assertThatThrownBy(() -> ClusterMember.parseList("1=a:1/a:70000"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("70000");
  }
}
