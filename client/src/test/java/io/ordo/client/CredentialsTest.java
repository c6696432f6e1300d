package io.ordo.client;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CredentialsTest {
  @Test
  void aPasswordIsNeverSentWithoutTls() {
    OrdoClient.Builder builder = OrdoClient.builder().bootstrap("127.0.0.1:9101").credentials("bob", "secret".toCharArray());

    assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("credentials need TLS");
  }

  @Test
  void aNameTheHeaderCannotCarryIsRefused() {
    assertThatThrownBy(() -> OrdoClient.builder().credentials("bob:admin", "secret".toCharArray()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("':'");
  }
}
