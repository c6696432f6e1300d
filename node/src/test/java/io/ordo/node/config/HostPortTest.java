package io.ordo.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostPortTest {
  @Test
  void parsesAnAddressAndADnsName() {
    assertThat(HostPort.parse("127.0.0.1:9101")).isEqualTo(new HostPort("127.0.0.1", 9101));
    assertThat(HostPort.parse("ordo-0.ordo.svc.cluster.local:1")).isEqualTo(new HostPort("ordo-0.ordo.svc.cluster.local", 1));
  }

  @Test
  void takesThePortAfterTheLastColonSoBracketedIpv6Works() {
    HostPort address = HostPort.parse("[::1]:65535");

    assertThat(address.host()).isEqualTo("[::1]");
    assertThat(address.port()).isEqualTo(65535);
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1:9101", "[::1]:9201", "node-3:1"})
  void toStringParsesBackToTheSameAddress(String text) {
    assertThat(HostPort.parse(text).toString()).isEqualTo(text);
    assertThat(HostPort.parse(HostPort.parse(text).toString())).isEqualTo(HostPort.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "localhost", "localhost:", ":9101"})
  void addressWithoutHostOrPortIsRefusedNamingTheText(String text) {
    assertThatThrownBy(() -> HostPort.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'" + text + "' is not host:port");
  }

  @Test
  void nullIsRefused() {
    assertThatThrownBy(() -> HostPort.parse(null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost:http", "localhost:91o1", "localhost:99999999999"})
  void nonNumericPortIsRefused(String text) {
    assertThatThrownBy(() -> HostPort.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'" + text + "' has no numeric port");
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost:0", "localhost:65536", "localhost:-1"})
  void portOutOfRangeIsRefused(String text) {
    assertThatThrownBy(() -> HostPort.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("out of range");
  }

  @Test
  void blankHostIsRefused() {
    assertThatThrownBy(() -> new HostPort(" ", 80)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no host");
    assertThatThrownBy(() -> HostPort.parse(" :80")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no host");
  }
}
