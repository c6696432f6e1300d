package io.ordo.it.workload;

import io.ordo.client.OrdoException;
import io.ordo.it.history.Op;
import java.util.concurrent.CompletionException;

/** How a client error completes an op in the history. */
final class Outcome {
  private Outcome() {}

  /** The error itself, not the future's wrapper around it. */
  static Throwable cause(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
  }

  /** FAIL only when the operation definitely did not happen; anything retriable may have. */
  static Op.Type of(Throwable error) {
    return cause(error) instanceof OrdoException ordo && !ordo.isRetriable() ? Op.Type.FAIL : Op.Type.INFO;
  }
}
