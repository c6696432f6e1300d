package io.ordo.it.jepsen;

import io.ordo.it.checker.CheckResult;
import io.ordo.it.checker.QueueCheckResult;

/** A run's verdicts: the log and its stream group, and the queue group. */
record RunResult(CheckResult log, QueueCheckResult queues) {
  boolean valid() {
    return log.valid() && queues.valid();
  }

  String summary() {
    return log.summary() + "\n" + (queues.valid() ? "" : "INVALID ") + queues.summary();
  }
}
