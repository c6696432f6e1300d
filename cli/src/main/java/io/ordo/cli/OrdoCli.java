package io.ordo.cli;

import io.ordo.client.OrdoException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ordo}: the root command. {@link #run} runs one command line in-process against the
 * given streams, which is what {@link #main} and the tests call.
 *
 * <p>Exit codes: 0 on success, 1 when the operation failed, 2 when the command line is wrong.
 * Every error is exactly one line on stderr, starting with {@code ordo: }.
 */
@Command(
    name = "ordo",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoCli.Version.class,
    description = {
      "Manage and use an Ordo cluster: topics, producing and consuming records, cluster status"
          + " and benchmarks.",
      "",
      "Every command takes --bootstrap (default: $ORDO_BOOTSTRAP, else the local three-node"
          + " cluster) and --output table|json."
    },
    subcommands = {
      TopicCommand.class,
      ProduceCommand.class,
      ConsumeCommand.class,
      GroupCommand.class,
      QueueCommand.class,
      DlqCommand.class,
      ClusterCommand.class,
      UserCommand.class,
      AclCommand.class,
      BenchCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:the operation failed", "2:invalid command line"})
public final class OrdoCli {
  final InputStream in;
  final PrintStream out;
  final PrintStream err;

  private OrdoCli(InputStream in, PrintStream out, PrintStream err) {
    this.in = in;
    this.out = out;
    this.err = err;
  }

  /** Log4j's setting naming its configuration; a launcher may set it. */
  private static final String LOG_CONFIGURATION_PROPERTY = "log4j2.configurationFile";
  /** Warnings only, to stderr: stdout is for command output alone. */
  private static final String DEFAULT_LOG_CONFIGURATION = "io/ordo/cli/ordo-cli-log4j2.xml";

  /**
   * Runs {@code ordo args...} with the process's streams and exits with its exit code. Unless the
   * launcher chose a logging configuration, the CLI's own sends warnings to stderr and nothing
   * to stdout (Log4j's built-in default would log errors to stdout).
   */
  public static void main(String[] args) {
    if (System.getProperty(LOG_CONFIGURATION_PROPERTY) == null) {
      System.setProperty(LOG_CONFIGURATION_PROPERTY, DEFAULT_LOG_CONFIGURATION);
    }
    System.exit(run(args, System.in, System.out, System.err));
  }

  /**
   * Runs one {@code ordo} command line in this process: reads {@code in}, prints results to
   * {@code out}, errors (one line each) and progress to {@code err}.
   *
   * @return the exit code: 0 success, 1 operation failed, 2 invalid command line
   */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    CommandLine commandLine = new CommandLine(new OrdoCli(in, out, err));
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    commandLine.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    commandLine.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    commandLine.setParameterExceptionHandler(
        (e, arguments) -> {
          err.println("ordo: " + e.getMessage().replace('\n', ' ') + " (see --help)");
          return e.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
        });
    commandLine.setExecutionExceptionHandler(
        (e, command, parseResult) -> {
          err.println("ordo: " + describe(e));
          return command.getCommandSpec().exitCodeOnExecutionException();
        });
    return commandLine.execute(args);
  }

  /** One line saying what went wrong, for a person. */
  /** The error a future failed with, not the CompletionException around it. */
  static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }

  static String describe(Throwable e) {
    if (e instanceof OrdoException || e instanceof IllegalArgumentException) {
      return String.valueOf(e.getMessage()).replace('\n', ' ');
    }
    return e.getClass().getSimpleName()
        + (e.getMessage() == null ? "" : ": " + e.getMessage().replace('\n', ' '));
  }

  /** The version from the jar's manifest, when run from a jar. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = OrdoCli.class.getPackage().getImplementationVersion();
      return new String[] {"ordo " + (version == null ? "(development build)" : version)};
    }
  }
}
