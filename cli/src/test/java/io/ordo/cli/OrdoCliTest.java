package io.ordo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Parsing, exit codes and error lines; no cluster needed. */
class OrdoCliTest {
  @Test
  void helpGoesToStdoutWithExitCodeZero() {
    CliRun run = CliRun.run("topic", "create", "--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("--partitions", "--replication-factor", "--bootstrap");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void anUnknownCommandIsAUsageErrorOnOneLine() {
    CliRun run = CliRun.run("frobnicate");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.errLines()).singleElement().asString().startsWith("ordo: ");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void aMissingSubcommandIsAUsageError() {
    CliRun run = CliRun.run("topic");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.errLines()).singleElement().asString().startsWith("ordo: ");
  }

  @Test
  void aMissingParameterIsAUsageError() {
    CliRun run = CliRun.run("topic", "describe");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.errLines()).singleElement().asString().contains("NAME");
  }

  @Test
  void anUnknownOutputFormatIsAUsageError() {
    CliRun run = CliRun.run("topic", "list", "--output", "xml");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.errLines()).hasSize(1);
  }

  @Test
  void keyAndKeySeparatorAreMutuallyExclusive() {
    CliRun run = CliRun.run("produce", "t", "--key", "k", "--key-separator", ":");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.errLines()).singleElement().asString().contains("mutually exclusive");
  }

  @Test
  void fromBeginningAndOffsetAreMutuallyExclusive() {
    CliRun run = CliRun.run("consume", "t", "--from-beginning", "--offset", "3");
    assertThat(run.exitCode()).isEqualTo(2);
  }

  @Test
  void aMalformedBootstrapIsAUsageError() {
    CliRun run = CliRun.run("cluster", "status", "--bootstrap", "localhost");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.errLines())
        .singleElement()
        .asString()
        .startsWith("ordo: --bootstrap: bootstrap address 'localhost' is not host:port");
  }

  @Test
  void anUnreachableClusterIsAnOperationErrorOnOneLine() {
    CliRun run =
        CliRun.run(
            "topic", "list", "--bootstrap", "127.0.0.1:1", "--request-timeout-ms", "300");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.errLines())
        .singleElement()
        .asString()
        .startsWith("ordo: list topics: no node answered")
        .contains("127.0.0.1:1");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void nonPositiveLimitsAreUsageErrors() {
    assertThat(CliRun.run("consume", "t", "--max-messages", "0").exitCode()).isEqualTo(2);
    assertThat(CliRun.run("consume", "t", "--timeout-ms", "-5").exitCode()).isEqualTo(2);
  }
}
