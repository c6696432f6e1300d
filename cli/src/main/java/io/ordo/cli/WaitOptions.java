package io.ordo.cli;

import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/** --wait and --wait-timeout-secs, for commands whose change the cluster carries out after answering. */
final class WaitOptions {
  /** How often a waiting command looks again. */
  static final long POLL_MS = 1_000;

  @Option(names = "--wait", description = "Wait until the change is done, printing its progress.")
  boolean await;

  @Option(
      names = "--wait-timeout-secs",
      paramLabel = "SECS",
      defaultValue = "600",
      description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
  long timeoutSecs;

  /** The System.nanoTime() past which a wait that starts now gives up. */
  long deadlineNanos() {
    return System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSecs);
  }
}
