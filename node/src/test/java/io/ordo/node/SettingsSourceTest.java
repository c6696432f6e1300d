package io.ordo.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.node.config.HostPort;
import io.ordo.node.config.NodeConfig;
import io.ordo.node.config.SettingsSource;
import io.ordo.raft.storage.DataStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Where {@code ordo-node}'s option values come from: a flag wins over the environment, which wins
 * over the config file, which wins over the built-in default.
 */
class SettingsSourceTest {
  private static final String CLUSTER = "1=127.0.0.1:9201/127.0.0.1:9101,2=127.0.0.2:9201/127.0.0.2:9101";
  private static final String[] REQUIRED_FLAGS = {
    "--node-id", "1",
    "--data-dir", "/var/lib/ordo",
    "--client-addr", "127.0.0.1:9101",
    "--raft-addr", "127.0.0.1:9201",
    "--initial-cluster", CLUSTER
  };

  @TempDir Path dir;

  @Test
  void flagBeatsEnvironmentWhichBeatsFileWhichBeatsDefault() {
    Properties file = properties(
        "max-fetch-records", "7",
        "election-timeout-ms", "111",
        "max-fetch-wait-ms", "333");
    Map<String, String> env = Map.of("ORDO_ELECTION_TIMEOUT_MS", "222", "ORDO_MAX_FETCH_WAIT_MS", "444");

    NodeConfig config = parse(env, file, concat(REQUIRED_FLAGS, "--max-fetch-wait-ms", "555"));

    assertThat(config.maxFetchWaitMs()).as("flag over env and file").isEqualTo(555);
    assertThat(config.electionTimeoutMs()).as("env over file").isEqualTo(222);
    assertThat(config.maxFetchRecords()).as("file over default").isEqualTo(7);
    assertThat(config.snapshotIntervalSecs()).as("default").isEqualTo(600);
  }

  @Test
  void theBytesANodeHoldsForCommitDefaultToAQuarterOfItsHeap() {
    assertThat(parse(Map.of(), new Properties(), REQUIRED_FLAGS).maxPendingBytesPerNode())
        .isEqualTo(Math.max(Runtime.getRuntime().maxMemory() / 4, NodeConfig.DEFAULT_MAX_BATCH_BYTES));
    assertThat(parse(Map.of("ORDO_MAX_PENDING_BYTES", "20000000"), new Properties(), REQUIRED_FLAGS).maxPendingBytesPerNode())
        .isEqualTo(20_000_000);
    assertThatThrownBy(() -> parse(Map.of("ORDO_MAX_PENDING_BYTES", "1000"), new Properties(), REQUIRED_FLAGS))
        .hasMessageContaining("max pending bytes (1000) must be at least max batch bytes");
  }

  @Test
  void storeCompressionIsNoneUnlessSetInAnyCase() {
    assertThat(parse(Map.of(), new Properties(), REQUIRED_FLAGS).storeCompression()).isEqualTo(DataStore.Compression.NONE);
    assertThat(parse(Map.of("ORDO_STORE_COMPRESSION", "lz4"), new Properties(), REQUIRED_FLAGS).storeCompression())
        .isEqualTo(DataStore.Compression.LZ4);
    assertThatThrownBy(() -> parse(Map.of(), new Properties(), concat(REQUIRED_FLAGS, "--store-compression", "zstd")))
        .hasMessageContaining("expected one of [NONE, LZ4] (case-insensitive) but was 'zstd'");
  }

  @Test
  void flagBeatsEnvironmentAndFileForARequiredOption() {
    Properties file = properties("node-id", "2");
    Map<String, String> env = Map.of("ORDO_NODE_ID", "2");

    assertThat(parse(env, file, REQUIRED_FLAGS).nodeId()).isEqualTo(1);
  }

  @Test
  void requiredOptionsCanAllComeFromTheEnvironment() {
    Map<String, String> env =
        Map.of(
            "ORDO_NODE_ID", "2",
            "ORDO_DATA_DIR", "/data",
            "ORDO_CLIENT_ADDR", "127.0.0.2:9101",
            "ORDO_RAFT_ADDR", "127.0.0.2:9201",
            "ORDO_INITIAL_CLUSTER", CLUSTER);

    NodeConfig config = parse(env, new Properties());

    assertThat(config.nodeId()).isEqualTo(2);
    assertThat(config.dataDir()).isEqualTo(Path.of("/data"));
    assertThat(config.clientAddress()).isEqualTo(new HostPort("127.0.0.2", 9101));
    assertThat(config.raftAddress()).isEqualTo(new HostPort("127.0.0.2", 9201));
    assertThat(config.initialCluster()).hasSize(2);
  }

  @Test
  void requiredOptionsCanAllComeFromTheFile() throws IOException {
    Path path = dir.resolve("node.properties");
    Files.writeString(
        path,
        String.join(
            "\n",
            "node-id=2",
            "data-dir=/data",
            "client-addr=127.0.0.2:9101",
            "raft-addr=127.0.0.2:9201",
            "initial-cluster=" + CLUSTER,
            "max-pending-bytes-per-partition=1234567890123"));
    String[] args = {"--config", path.toString()};
    Map<String, String> env = Map.of();

    NodeConfig config = parse(env, SettingsSource.load(SettingsSource.configPath(args, env)), args);

    assertThat(config.nodeId()).isEqualTo(2);
    assertThat(config.raftAddress()).isEqualTo(new HostPort("127.0.0.2", 9201));
    assertThat(config.maxPendingBytesPerPartition()).isEqualTo(1234567890123L);
  }

  @Test
  void optionNamesMapToUpperCaseEnvironmentVariablesWithUnderscores() {
    Map<String, String> env = Map.of("ORDO_SNAPSHOT_LOG_INDEX_MARGIN", "42", "ORDO_MAX_PENDING_BYTES_PER_PARTITION", "9");

    NodeConfig config = parse(env, new Properties(), REQUIRED_FLAGS);

    assertThat(config.snapshotLogIndexMargin()).isEqualTo(42);
    assertThat(config.maxPendingBytesPerPartition()).isEqualTo(9);
  }

  @Test
  void unrelatedEnvironmentVariablesAndFileKeysAreIgnored() {
    Map<String, String> env = Map.of("NODE_ID", "9", "ordo_node_id", "9");
    Properties file = properties("ORDO_NODE_ID", "9", "--node-id", "9");

    NodeConfig config = parse(env, file, REQUIRED_FLAGS);

    assertThat(config.nodeId()).isEqualTo(1);
  }

  @Test
  void requiredOptionMissingEverywhereIsAnError() {
    Map<String, String> env = Map.of("ORDO_NODE_ID", "1");

    assertThatThrownBy(() -> parse(env, new Properties(), "--data-dir", "/d"))
        .isInstanceOf(CommandLine.MissingParameterException.class)
        .hasMessageContaining("--client-addr");
  }

  @Test
  void badValueFromTheEnvironmentIsAnError() {
    Map<String, String> env = Map.of("ORDO_MAX_FETCH_RECORDS", "many");

    assertThatThrownBy(() -> parse(env, new Properties(), REQUIRED_FLAGS))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("many");
  }

  @Test
  void configPathComesFromEitherFlagFormThenTheEnvironment() {
    Map<String, String> env = Map.of("ORDO_CONFIG", "/etc/ordo/env.properties");

    assertThat(SettingsSource.configPath(new String[] {"--config", "/a.properties"}, env)).isEqualTo(Path.of("/a.properties"));
    assertThat(SettingsSource.configPath(new String[] {"--node-id", "1", "--config=/b.properties"}, env))
        .isEqualTo(Path.of("/b.properties"));
    assertThat(SettingsSource.configPath(new String[] {"--node-id", "1"}, env)).isEqualTo(Path.of("/etc/ordo/env.properties"));
    assertThat(SettingsSource.configPath(new String[0], Map.of("ORDO_CONFIG", " "))).isNull();
    assertThat(SettingsSource.configPath(new String[] {"--config"}, Map.of())).isNull();
  }

  @Test
  void loadReadsAPropertiesFileAndNothingWithoutOne() throws IOException {
    Path path = dir.resolve("node.properties");
    Files.writeString(path, "# comment\nnode-id = 4\n");

    assertThat(SettingsSource.load(path).getProperty("node-id")).isEqualTo("4");
    assertThat(SettingsSource.load(null)).isEmpty();
  }

  @Test
  void missingConfigFileIsAnErrorNamingIt() {
    Path missing = dir.resolve("absent.properties");

    assertThatThrownBy(() -> SettingsSource.load(missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot read config file " + missing);
  }

  private static NodeConfig parse(Map<String, String> env, Properties file, String... args) {
    OrdoNodeMain main = new OrdoNodeMain();
    OrdoNodeMain.commandLine(main, new SettingsSource(env, file)).parseArgs(args);
    return main.toConfig();
  }

  private static Properties properties(String... keysAndValues) {
    Properties p = new Properties();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      p.setProperty(keysAndValues[i], keysAndValues[i + 1]);
    }
    return p;
  }

  private static String[] concat(String[] first, String... more) {
    String[] out = new String[first.length + more.length];
    System.arraycopy(first, 0, out, 0, first.length);
    System.arraycopy(more, 0, out, first.length, more.length);
    return out;
  }
}
