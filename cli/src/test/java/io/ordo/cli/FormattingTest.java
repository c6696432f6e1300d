package io.ordo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.client.ConsumerRecord;
import io.ordo.client.PartitionInfo;
import io.ordo.client.TopicInfo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Key splitting, record lines, tables and the topic JSON; no cluster needed. */
class FormattingTest {
  private static ProduceCommand produce(String... args) {
    ProduceCommand command = new ProduceCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  @Test
  void withoutKeyOptionsTheLineIsTheValue() {
    assertThat(produce("t").split("a:b")).containsExactly(null, "a:b");
  }

  @Test
  void aFixedKeyAppliesToEveryLine() {
    assertThat(produce("t", "--key", "k").split("a:b")).containsExactly("k", "a:b");
  }

  @Test
  void theKeyIsTheTextBeforeTheFirstSeparator() {
    ProduceCommand command = produce("t", "--key-separator", "::");
    assertThat(command.split("user-1::a::b")).containsExactly("user-1", "a::b");
    assertThat(command.split("::value")).containsExactly("", "value");
    assertThat(command.split("key::")).containsExactly("key", "");
    assertThat(command.split("no separator")).isNull();
  }

  private static ConsumeCommand consume(String... args) {
    ConsumeCommand command = new ConsumeCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  private static final ConsumerRecord RECORD =
      new ConsumerRecord(
          "t", 0, 42, 1_000, "k".getBytes(StandardCharsets.UTF_8),
          "v\"1".getBytes(StandardCharsets.UTF_8), List.of());

  @Test
  void recordLinesPrintTheEnabledFieldsInOrder() {
    assertThat(consume("t").format(RECORD)).isEqualTo("v\"1");
    assertThat(consume("t", "--print-key").format(RECORD)).isEqualTo("k\tv\"1");
    assertThat(consume("t", "--print-offset").format(RECORD)).isEqualTo("42\tv\"1");
    assertThat(consume("t", "--print-key", "--print-offset").format(RECORD))
        .isEqualTo("42\tk\tv\"1");
  }

  @Test
  void aRecordWithoutKeyPrintsAnEmptyKey() {
    ConsumerRecord keyless = new ConsumerRecord("t", 0, 1, 0, null, new byte[] {'v'}, List.of());
    assertThat(consume("t", "--print-key").format(keyless)).isEqualTo("\tv");
  }

  @Test
  void tablesAlignColumns() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new Table("A", "LONG-HEADER", "C").row("xxxx", 1, true).print(new PrintStream(bytes, true));
    assertThat(bytes.toString().lines())
        .containsExactly("A     LONG-HEADER  C", "xxxx  1            true");
  }

  @Test
  void topicJsonHasNumericNodeIds() {
    TopicInfo topic =
        new TopicInfo(
            "orders",
            7,
            3,
            List.of(new PartitionInfo(0, 1, List.of(1, 2, 3), List.of(1, 2), 0, 42, List.of(), Map.of(3, "apply failed: disk full"))),
            Map.of("retention.ms", "60000"));
    assertThat(TopicCommand.topicJson(topic))
        .isEqualTo(
            "{\"name\":\"orders\",\"topicId\":7,\"replicationFactor\":3,\"partitions\":["
                + "{\"partition\":0,\"leader\":1,\"status\":\"under-replicated\",\"replicas\":[1,2,3],\"inSyncReplicas\":[1,2],\"targetReplicas\":[],"
                + "\"failedReplicas\":[{\"node\":3,\"error\":\"apply failed: disk full\"}],"
                + "\"startOffset\":0,\"endOffset\":42}],\"config\":{\"retention.ms\":\"60000\"}}");
  }
}
