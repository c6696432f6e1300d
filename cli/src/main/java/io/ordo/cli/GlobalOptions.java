package io.ordo.cli;

import io.ordo.client.OrdoClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
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

  @Option(
      names = "--user",
      paramLabel = "NAME",
      defaultValue = "${env:ORDO_USER}",
      description = "Authenticate as this user (`ordo user create`), with --password-file; needs --tls-ca (or $ORDO_USER).")
  private String user;

  @Option(
      names = "--password-file",
      paramLabel = "FILE",
      defaultValue = "${env:ORDO_PASSWORD_FILE}",
      description = "The user's password: the first line of FILE, or of standard input for '-' (or $ORDO_PASSWORD_FILE).")
  private Path passwordFile;

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
    String user = this.user == null || this.user.isEmpty() ? null : this.user;
    Path passwordFile = given(this.passwordFile);
    if ((user == null) != (passwordFile == null) || (user != null && tlsCa == null)) {
      throw usageError("--user and --password-file go together, and need --tls-ca: a password is never sent in the clear");
    }
    if (user != null) {
      char[] password = readPassword(passwordFile, "--password-file");
      try {
        builder.credentials(user, password);
      } catch (IllegalArgumentException e) {
        throw usageError("--user: " + e.getMessage());
      } finally {
        Arrays.fill(password, '\0');
      }
    }
    return builder.build();
  }

  boolean readsPasswordFromStdin() {
    Path file = given(passwordFile);
    return file != null && file.toString().equals("-");
  }

  /**
   * The first line of {@code file}, or of standard input for {@code -}, without its line end; a
   * usage error naming {@code option} if it cannot be read or is empty.
   */
  char[] readPassword(Path file, String option) {
    boolean stdin = file.toString().equals("-");
    String line;
    try {
      if (stdin) {
        line = new BufferedReader(new InputStreamReader(in(), StandardCharsets.UTF_8)).readLine();
      } else {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
          line = reader.readLine();
        }
      }
    } catch (NoSuchFileException e) {
      throw usageError(option + ": no file " + file);
    } catch (IOException e) {
      throw usageError(option + ": cannot read " + file + ": " + e.getMessage());
    }
    if (line == null || line.isEmpty()) {
      throw usageError(option + ": " + (stdin ? "standard input" : file) + " holds no password on its first line");
    }
    return line.toCharArray();
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

  /** Says that {@code kind} {@code name} is deleted: a line, or {@code {"deleted": name}}. */
  void printDeleted(String kind, String name) {
    out().println(json() ? new JsonWriter().beginObject().field("deleted", name).endObject().toString() : "deleted " + kind + " " + name);
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
