package io.ordo.cli;

import io.ordo.client.OrdoClient;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options every command takes, mixed into each, and the streams and client a command works
 * with.
 */
final class GlobalOptions {
  /** How results are printed. */
  enum Format {
    table,
    json
  }

  /** The local three-node cluster the deploy scripts start. */
  static final String LOCAL_CLUSTER = "127.0.0.1:9101,127.0.0.1:9102,127.0.0.1:9103";

  @Spec(Spec.Target.MIXEE)
  private CommandSpec command;

  @Option(
      names = "--bootstrap",
      paramLabel = "HOST:PORT[,...]",
      defaultValue = "${env:ORDO_BOOTSTRAP:-" + LOCAL_CLUSTER + "}",
      description = {
        "Nodes to connect to first; any live one will do.",
        "Default: $ORDO_BOOTSTRAP if set, else the local cluster " + LOCAL_CLUSTER + "."
      })
  private String bootstrap;

  @Option(
      names = "--output",
      paramLabel = "table|json",
      defaultValue = "table",
      description = "Print results as an aligned table (default) or as JSON.")
  private Format output;

  @Option(
      names = "--request-timeout-ms",
      paramLabel = "MS",
      defaultValue = "10000",
      description = "Give up on a request, retries included, after this long (default: 10000).")
  private long requestTimeoutMs;

  @Option(
      names = "--tls-ca",
      paramLabel = "FILE",
      defaultValue = "${env:ORDO_TLS_CA}",
      description = "Connect with TLS, trusting the authority (PEM) that issued the nodes' certificates (or $ORDO_TLS_CA).")
  private Path tlsCa;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      defaultValue = "${env:ORDO_TLS_CERT}",
      description = "With --tls-ca: present this certificate (PEM) for mutual TLS (or $ORDO_TLS_CERT).")
  private Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      defaultValue = "${env:ORDO_TLS_KEY}",
      description = "The certificate's private key, PKCS#8 PEM (or $ORDO_TLS_KEY).")
  private Path tlsKey;

  /** A client for the cluster; the caller closes it. */
  OrdoClient connect() {
    if (requestTimeoutMs <= 0) {
      throw usageError("--request-timeout-ms must be positive");
    }
    OrdoClient.Builder builder =
        OrdoClient.builder().requestTimeout(Duration.ofMillis(requestTimeoutMs));
    try {
      builder.bootstrap(bootstrap);
    } catch (IllegalArgumentException e) {
      throw usageError("--bootstrap: " + e.getMessage());
    }
    // An empty ORDO_TLS_* variable means none, as an unset one does.
    Path tlsCa = given(this.tlsCa);
    Path tlsCert = given(this.tlsCert);
    Path tlsKey = given(this.tlsKey);
    if ((tlsCert == null) != (tlsKey == null) || (tlsCert != null && tlsCa == null)) {
      throw usageError("--tls-cert and --tls-key go together, and need --tls-ca");
    }
    try {
      if (tlsCert != null) {
        builder.tls(tlsCa, tlsCert, tlsKey);
      } else if (tlsCa != null) {
        builder.tls(tlsCa);
      }
    } catch (IllegalArgumentException e) {
      throw usageError(e.getMessage());
    }
    return builder.build();
  }

  private static Path given(Path file) {
    return file == null || file.toString().isEmpty() ? null : file;
  }

  /**
   * An error in the command line found while running the command: reported like a parse error,
   * exit code 2.
   */
  ParameterException usageError(String message) {
    return new ParameterException(command.commandLine(), message);
  }

  boolean json() {
    return output == Format.json;
  }

  InputStream in() {
    return root().in;
  }

  PrintStream out() {
    return root().out;
  }

  PrintStream err() {
    return root().err;
  }

  private OrdoCli root() {
    return (OrdoCli) command.root().userObject();
  }
}
