package io.ordo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.client.testing.FakeCluster;
import io.ordo.proto.v1.Record;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Commands run in-process against a fake three-node cluster. */
class CommandsTest {
  private FakeCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = new FakeCluster(3);
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private CliRun ordoWithInput(String stdin, String... args) {
    String[] withBootstrap = new String[args.length + 2];
    System.arraycopy(args, 0, withBootstrap, 0, args.length);
    withBootstrap[args.length] = "--bootstrap";
    withBootstrap[args.length + 1] = cluster.bootstrap();
    return CliRun.withInput(stdin, withBootstrap);
  }

  private CliRun ordo(String... args) {
    return ordoWithInput("", args);
  }

  @Test
  void topicCreateDescribeListDelete() {
    CliRun created = ordo("topic", "create", "orders", "--partitions", "2");
    assertThat(created.exitCode()).isZero();
    assertThat(created.outLines().get(0)).startsWith("topic orders");

    CliRun described = ordo("topic", "describe", "orders", "--output", "json");
    assertThat(described.exitCode()).isZero();
    assertThat(described.out())
        .startsWith("{\"name\":\"orders\",\"topicId\":1,\"replicationFactor\":3,\"partitions\":[")
        .contains("{\"partition\":1,\"leader\":2,\"status\":\"ok\",\"replicas\":[2,3,1]");

    assertThat(ordo("topic", "list").outLines())
        .containsExactly("NAME    PARTITIONS  REPLICATION-FACTOR", "orders  2           3");
    assertThat(ordo("topic", "list", "--output", "json").out().trim())
        .isEqualTo(
            "{\"topics\":[{\"name\":\"orders\",\"partitions\":2,\"replicationFactor\":3}]}");

    assertThat(ordo("topic", "delete", "orders").out().trim()).isEqualTo("deleted topic orders");
    CliRun missing = ordo("topic", "describe", "orders");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.errLines()).singleElement().asString().startsWith("ordo: topic 'orders'");
  }

  @Test
  void produceSendsOneRecordPerLineWithKeysSplitOff() {
    cluster.createTopic("events", 1);
    CliRun run = ordoWithInput("a:1\nb:2:x\n:3\n", "produce", "events", "--key-separator", ":");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).isEmpty();
    List<Record> log = cluster.log("events", 0);
    assertThat(log).extracting(r -> r.getKey().toStringUtf8()).containsExactly("a", "b", "");
    assertThat(log).extracting(r -> r.getValue().toStringUtf8()).containsExactly("1", "2:x", "3");
  }

  @Test
  void produceStopsAtALineWithoutSeparator() {
    cluster.createTopic("events", 1);
    CliRun run = ordoWithInput("a:1\nnope\nc:3\n", "produce", "events", "--key-separator", ":");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.errLines())
        .containsExactly("ordo: line 2 has no key separator ':'; the 1 records before it were sent");
    assertThat(cluster.log("events", 0)).hasSize(1);
  }

  @Test
  void produceToAMissingTopicSaysHowManyRecordsFailed() {
    CliRun run = ordoWithInput("x\ny\n", "produce", "missing");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.errLines())
        .singleElement()
        .asString()
        .startsWith("ordo: 2 of 2 records were not acknowledged; first error: topic 'missing'");
  }

  @Test
  void produceReportsCountsAsJson() {
    cluster.createTopic("events", 3);
    CliRun run = ordoWithInput("a\nb\nc\n", "produce", "events", "--partition", "2", "--output", "json");
    assertThat(run.out().trim()).isEqualTo("{\"sent\":3,\"acknowledged\":3,\"failed\":0}");
    assertThat(cluster.log("events", 2)).hasSize(3);
  }

  @Test
  void consumeFromBeginningPrintsOffsetKeyAndValue() {
    cluster.createTopic("events", 1);
    ordoWithInput("k1:v1\nk2:v2\nk3:v3\n", "produce", "events", "--key-separator", ":");
    CliRun run =
        ordo(
            "consume", "events", "--from-beginning", "--max-messages", "2", "--print-key",
            "--print-offset");
    assertThat(run.exitCode()).isZero();
    assertThat(run.outLines()).containsExactly("0\tk1\tv1", "1\tk2\tv2");
  }

  @Test
  void consumeFromAnOffsetStopsWhenIdle() {
    cluster.createTopic("events", 1);
    ordoWithInput("a\nb\nc\n", "produce", "events");
    CliRun run = ordo("consume", "events", "--offset", "1", "--timeout-ms", "500");
    assertThat(run.exitCode()).isZero();
    assertThat(run.outLines()).containsExactly("b", "c");
  }

  @Test
  void consumeReadsEveryPartitionByDefault() {
    cluster.createTopic("events", 3);
    for (int p = 0; p < 3; p++) {
      ordoWithInput("p" + p + "\n", "produce", "events", "--partition", String.valueOf(p));
    }
    CliRun run =
        ordo("consume", "events", "--from-beginning", "--max-messages", "3", "--output", "json");
    assertThat(run.exitCode()).isZero();
    assertThat(run.outLines())
        .hasSize(3)
        .anySatisfy(l -> assertThat(l).contains("\"partition\":0", "\"value\":\"p0\""))
        .anySatisfy(l -> assertThat(l).contains("\"partition\":2", "\"value\":\"p2\""));
  }

  @Test
  void consumeOfAnOffsetPastTheEndFails() {
    cluster.createTopic("events", 1);
    CliRun run = ordo("consume", "events", "--offset", "5", "--timeout-ms", "5000");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.errLines()).singleElement().asString().startsWith("ordo: offset 5");
  }

  @Test
  void clusterStatusListsNodesAndTheMetadataLeader() {
    CliRun run = ordo("cluster", "status");
    assertThat(run.exitCode()).isZero();
    assertThat(run.outLines()).hasSize(7);
    assertThat(run.outLines().get(0)).startsWith("NODE  CLIENT-ADDRESS");
    assertThat(run.outLines().get(1)).startsWith("1 ").endsWith("metadata-leader");
    assertThat(run.outLines().get(4)).isEqualTo("metadata leader: node 1");
    assertThat(run.outLines().get(5)).isEqualTo("feature level: 5");
    assertThat(run.outLines().get(6)).isEqualTo("partitions: 0, leaderless: 0, under-replicated: 0");

    CliRun json = ordo("cluster", "status", "--output", "json");
    assertThat(json.out())
        .startsWith("{\"metadataLeader\":1,\"featureLevel\":5,\"featureLevelRising\":false,\"nodes\":[{\"nodeId\":1,\"clientAddress\":\"127.0.0.1:")
        .endsWith("\"partitionCount\":0,\"unhealthyPartitions\":[]}\n");
  }

  @Test
  void clusterStatusListsLeaderlessPartitions() {
    cluster.createTopic("orders", 3);
    cluster.setLeader("orders", 1, 0);
    CliRun run = ordo("cluster", "status");
    assertThat(run.exitCode()).isZero();
    assertThat(run.outLines()).contains("partitions: 3, leaderless: 1, under-replicated: 0");
    assertThat(run.outLines().get(run.outLines().size() - 2)).startsWith("TOPIC").contains("STATUS");
    assertThat(run.outLines().get(run.outLines().size() - 1).split(" +"))
        .containsExactly("orders", "1", "leaderless", "none", "2,3,1", "2,3,1");

    CliRun json = ordo("cluster", "status", "--output", "json");
    assertThat(json.out()).contains(
        "\"partitionCount\":3,\"unhealthyPartitions\":[{\"topic\":\"orders\",\"partition\":1,\"leader\":0,\"status\":\"leaderless\",");
  }

  @Test
  void benchProducesThenConsumes() {
    CliRun produced =
        ordo(
            "bench", "produce", "--topic", "bench", "--records", "200", "--record-size", "100",
            "--partitions", "3", "--rate", "2000", "--warmup-records", "50", "--report-interval-ms", "20");
    assertThat(produced.exitCode()).isZero();
    // 200 records at 2,000/s take at least 100 ms: about five reports (the default interval, none).
    assertThat(produced.errLines())
        .filteredOn(line -> line.matches("\\d+ records acknowledged, .* ms max latency"))
        .as("progress every 20 ms")
        .isNotEmpty();
    assertThat(produced.outLines().get(0)).as("the warm-up left out").startsWith("200 records acknowledged (0 failed)");
    assertThat(produced.outLines().get(1)).startsWith("latency ms from each record's due time: p50 ");

    // The topic holds the producer's warm-up too: 250 records, of which the reader leaves out its first 50.
    CliRun consumed =
        ordo("bench", "consume", "--topic", "bench", "--records", "200", "--warmup-records", "50", "--output", "json");
    assertThat(consumed.exitCode()).isZero();
    assertThat(consumed.out()).startsWith("{\"records\":200,\"bytes\":20000,");
  }

  @Test
  void benchProduceToATopicThatDoesNotExistFailsAtOnceUnlessToldToCreateIt() {
    CliRun produced = ordo("bench", "produce", "--topic", "missing", "--records", "10", "--record-size", "10");

    assertThat(produced.exitCode()).isEqualTo(1);
    assertThat(produced.errLines()).singleElement().asString().isEqualTo("ordo: topic 'missing' does not exist");
    assertThat(produced.out()).as("no record was sent").isEmpty();
  }
}
