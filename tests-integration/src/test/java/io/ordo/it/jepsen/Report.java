package io.ordo.it.jepsen;

import io.ordo.it.checker.CheckResult;
import io.ordo.it.checker.GroupCheckResult;
import io.ordo.it.history.Op;
import io.ordo.it.history.PartitionRead;
import io.ordo.it.history.QueueEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a run's result as JSON (for programs) and HTML with an SVG timeline (for people), and
 * beside them the evidence to judge it again: the whole history and the final log, one line each.
 */
final class Report {
  private static final int MAX_LISTED = 100;
  private static final int WIDTH = 1200;
  private static final int ROW = 16;

  private Report() {}

  static void write(
      Path dir,
      Scenario scenario,
      long seed,
      long durationSeconds,
      RunResult run,
      List<Op> history,
      List<QueueEvent> queueEvents,
      Map<Integer, List<PartitionRead>> finalLog) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("result.json"), json(scenario, seed, durationSeconds, run, history));
      Files.writeString(dir.resolve("report.html"), html(scenario, seed, run, history));
      Files.write(dir.resolve("history.txt"), history.stream().map(Report::line).toList());
      Files.write(dir.resolve("queue-history.txt"), queueEvents.stream().map(Report::line).toList());
      Files.write(dir.resolve("final-log.txt"), finalLog.values().stream().flatMap(List::stream)
          .map(r -> r.partition() + "/" + r.offset() + " " + r.value()).toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String json(Scenario scenario, long seed, long durationSeconds, RunResult run, List<Op> history) {
    CheckResult r = run.log();
    StringBuilder s = new StringBuilder("{\n");
    field(s, "scenario", quote(scenario.name()));
    field(s, "nodes", scenario.nodes());
    field(s, "faults", quote(scenario.faults().toString()));
    field(s, "idempotent", scenario.idempotent());
    field(s, "nodeOptions", quote(scenario.nodeOptions().toString()));
    field(s, "seed", seed);
    field(s, "durationSeconds", durationSeconds);
    field(s, "valid", run.valid());
    field(s, "attempted", r.attempted());
    field(s, "acknowledged", r.acknowledged());
    field(s, "failed", r.failed());
    field(s, "indeterminate", r.indeterminate());
    field(s, "records", r.records());
    field(s, "availability", String.format(Locale.ROOT, "%.4f", r.availability()));
    field(s, "availabilityDuringFaults", String.format(Locale.ROOT, "%.4f", r.availabilityDuringFaults()));
    field(s, "availabilityOutsideFaults", String.format(Locale.ROOT, "%.4f", r.availabilityOutsideFaults()));
    field(s, "reads", r.reads());
    field(s, "readAvailability", String.format(Locale.ROOT, "%.4f", r.readAvailability()));
    field(s, "worstRecoveryMillis", r.worstRecoveryMillis());
    field(s, "healsWithoutRecovery", r.healsWithoutRecovery());
    field(s, "lost", list(r.lost()));
    field(s, "duplicates", list(r.duplicates()));
    field(s, "divergences", list(r.divergences()));
    field(s, "gaps", list(r.gaps()));
    field(s, "phantoms", list(r.phantoms()));
    field(s, "resurrected", list(r.resurrected()));
    field(s, "reorders", list(r.reorders()));
    field(s, "lateCommits", list(r.lateCommits()));
    GroupCheckResult g = r.groups();
    field(s, "groupRecordsDelivered", g.delivered());
    field(s, "groupTenures", g.tenures());
    field(s, "groupCommitsAttempted", g.commitsAttempted());
    field(s, "groupCommitsAcknowledged", g.commitsAcknowledged());
    field(s, "groupFinalCommitted", quote(g.finalCommitted().toString()));
    field(s, "groupCommittedWentBack", list(g.backwards()));
    field(s, "groupSkipped", list(g.skipped()));
    field(s, "groupGaps", list(g.gaps()));
    field(s, "groupDivergences", list(g.divergences()));
    field(s, "queueValid", run.queues().valid());
    field(s, "queue", quote(run.queues().summary()));
    List<String> reasons = new ArrayList<>();
    r.failureReasons().forEach((reason, count) -> reasons.add(count + " x " + reason));
    field(s, "unsuccessfulWritesByError", list(reasons));
    List<String> nemesis = new ArrayList<>();
    for (Op op : history) {
      if (op.process() == Op.NEMESIS) {
        nemesis.add(String.format(Locale.ROOT, "%.3fs %s %s", op.timeNanos() / 1e9, op.f(), op.value()));
      }
    }
    s.append("  \"nemesis\": ").append(list(nemesis)).append("\n}\n");
    return s.toString();
  }

  /** {@code seconds process type f value partition/offset [error]}; reads list what they returned. */
  private static String line(QueueEvent e) {
    return String.format(Locale.ROOT, "%.6f %.6f %d %s %d/%d %s deliveries=%d %s",
        e.timeNanos() / 1e9, e.endNanos() / 1e9, e.process(), e.kind(), e.partition(), e.offset(), e.value(),
        e.deliveries(), e.kind() == QueueEvent.Kind.RECEIVED ? "" : String.valueOf(e.outcome()));
  }

  private static String line(Op op) {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%.6f %d %s %s %s %d/%d",
        op.timeNanos() / 1e9, op.process(), op.type(), op.f(), op.value(), op.partition(), op.offset()));
    if (op.error() != null) {
      s.append(" error=").append(op.error().replace('\n', ' '));
    }
    for (PartitionRead r : op.reads()) {
      s.append(' ').append(r.partition()).append('/').append(r.offset()).append('=').append(r.value());
    }
    return s.toString();
  }

  private static void field(StringBuilder s, String name, Object value) {
    s.append("  \"").append(name).append("\": ").append(value).append(",\n");
  }

  private static String list(List<String> items) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < Math.min(items.size(), MAX_LISTED); i++) {
      s.append(i == 0 ? "" : ", ").append(quote(items.get(i)));
    }
    return s.append(']').toString();
  }

  private static String quote(String text) {
    StringBuilder s = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> s.append("\\\"");
        case '\\' -> s.append("\\\\");
        case '\n' -> s.append("\\n");
        default -> {
          if (c < 0x20) {
            s.append(String.format("\\u%04x", (int) c));
          } else {
            s.append(c);
          }
        }
      }
    }
    return s.append('"').toString();
  }

  /**
   * One row per writer and reader: a tick per completion (green ok, orange unknown, red fail);
   * faults shaded.
   */
  private static String html(Scenario scenario, long seed, RunResult r, List<Op> history) {
    long end = history.isEmpty() ? 1 : Math.max(1, history.get(history.size() - 1).timeNanos());
    TreeMap<Integer, String> processes = new TreeMap<>();
    history.stream().filter(op -> op.process() >= 0).forEach(op -> processes.putIfAbsent(op.process(), op.f()));
    int height = (processes.size() + 2) * ROW + 30;
    StringBuilder svg = new StringBuilder();
    svg.append("<svg xmlns='http://www.w3.org/2000/svg' width='").append(WIDTH).append("' height='").append(height)
        .append("' font-family='monospace' font-size='11'>");
    long faultStart = -1;
    String faultName = "";
    for (Op op : history) {
      if (op.process() != Op.NEMESIS) {
        continue;
      }
      if (op.f().equals("fault")) {
        faultStart = op.timeNanos();
        faultName = op.value();
      } else if (faultStart >= 0) {
        double x = x(faultStart, end);
        svg.append("<rect x='").append(x).append("' y='0' width='").append(Math.max(1, x(op.timeNanos(), end) - x))
            .append("' height='").append(height - 20).append("' fill='#f2d0d0'><title>").append(escape(faultName))
            .append("</title></rect>");
        faultStart = -1;
      }
    }
    int row = 0;
    for (Map.Entry<Integer, String> process : processes.entrySet()) {
      int id = process.getKey();
      int y = (row++ + 1) * ROW;
      svg.append("<text x='2' y='").append(y + 4).append("'>").append(process.getValue().charAt(0)).append(id)
          .append("</text>");
      long bucket = -1;
      for (Op op : history) {
        // One tick per process per pixel is as much as a person can see.
        if (op.process() != id || op.type() == Op.Type.INVOKE) {
          continue;
        }
        long px = Math.round(x(op.timeNanos(), end));
        if (px == bucket && op.type() == Op.Type.OK) {
          continue;
        }
        bucket = px;
        String color = op.type() == Op.Type.OK ? "#2a2" : op.type() == Op.Type.FAIL ? "#d22" : "#e90";
        svg.append("<line x1='").append(px).append("' x2='").append(px).append("' y1='").append(y - 5)
            .append("' y2='").append(y + 5).append("' stroke='").append(color).append("'/>");
      }
    }
    svg.append("<text x='2' y='").append(height - 5).append("'>0 s</text><text x='").append(WIDTH - 60)
        .append("' y='").append(height - 5).append("'>").append(String.format(Locale.ROOT, "%.1f s", end / 1e9))
        .append("</text></svg>");
    return "<!doctype html><meta charset='utf-8'><title>Ordo fault run " + escape(scenario.name()) + "</title>"
        + "<h1>" + escape(scenario.name()) + " (seed " + seed + ")</h1><pre>" + escape(r.summary()) + "</pre>"
        + "<p>Shaded: a fault in place. Rows: writers (w) and readers (r); ticks: their completions (green ok, orange unknown, red failed).</p>"
        + svg;
  }

  private static double x(long timeNanos, long endNanos) {
    return 30 + (WIDTH - 40) * (double) timeNanos / endNanos;
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
