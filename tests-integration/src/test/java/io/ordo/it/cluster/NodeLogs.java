package io.ordo.it.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Excerpts of a cluster's node logs for a failure's message: a CI machine's report shows the
 * message, and the logs themselves are out of reach there.
 */
public final class NodeLogs {
  private static final int MAX_LINE_CHARS = 250;

  private NodeLogs() {}

  /** The last {@code perNode} lines matching {@code pattern} of each node-N.log in {@code directory}. */
  public static String tail(Path directory, Pattern pattern, int perNode) {
    StringBuilder out = new StringBuilder();
    for (Path log : logs(directory)) {
      Deque<String> last = new ArrayDeque<>();
      try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
        lines.filter(line -> pattern.matcher(line).find()).forEach(line -> {
          last.addLast(line.length() > MAX_LINE_CHARS ? line.substring(0, MAX_LINE_CHARS) + "..." : line);
          if (last.size() > perNode) {
            last.removeFirst();
          }
        });
      } catch (IOException | UncheckedIOException e) {
        out.append("\n").append(log.getFileName()).append(": unreadable (").append(e.getMessage()).append(')');
        continue;
      }
      out.append("\n").append(log.getFileName()).append(", last ").append(last.size()).append(" lines matching ").append(pattern);
      last.forEach(line -> out.append("\n  ").append(line));
    }
    return out.toString();
  }

  private static List<Path> logs(Path directory) {
    try (Stream<Path> files = Files.list(directory)) {
      return files.filter(p -> p.getFileName().toString().matches("node-\\d+\\.log")).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
