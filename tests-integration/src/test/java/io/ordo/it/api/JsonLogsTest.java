package io.ordo.it.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ordo.it.cluster.ClusterExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** With ORDO_LOG_FORMAT=json every line a node writes is one JSON object a log collector can read. */
class JsonLogsTest {
  @RegisterExtension
  static final ClusterExtension CLUSTER = new ClusterExtension(Map.of(), Map.of("ORDO_LOG_FORMAT", "json"));

  @Test
  void everyLineIsAJsonObjectWithTimeLevelLoggerAndMessage() throws Exception {
    CLUSTER.createTopic("logged", 3);

    String log = Files.readString(CLUSTER.processes().logFile(1), StandardCharsets.UTF_8);
    // The node is still writing: a last line without its newline may be cut short.
    List<String> lines = log.substring(0, log.lastIndexOf('\n') + 1).lines().toList();

    assertThat(lines).isNotEmpty();
    for (String line : lines) {
      JsonObject event = JsonParser.parseString(line).getAsJsonObject();
      assertThat(event.keySet()).as(line).contains("time", "level", "thread", "logger", "message");
      assertThat(event.get("time").getAsString()).as(line).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    }
    assertThat(lines).anyMatch(line -> line.contains("\"logger\":\"io.ordo."));
  }
}
