package io.ordo.it.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.client.OrdoClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's tour through the real scripts: bin/ordo-cluster starts three node processes,
 * bin/ordo uses them, a node is SIGKILLed, and nothing acknowledged is lost; a fourth node joins
 * and a replica moves to it on its own.
 */
class LocalClusterScriptTest {
  private static final Path HOME = Path.of(System.getProperty("ordo.home", "..")).toAbsolutePath().normalize();

  @TempDir Path data;
  private final Map<String, String> env = new HashMap<>();

  @AfterEach
  void down() throws Exception {
    run("", "bin/ordo-cluster", "down");
    // Whatever `down` could not stop, stop by PID.
    for (int node = 1; node <= 4; node++) {
      Path pid = data.resolve("node-" + node + ".pid");
      if (Files.exists(pid)) {
        ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  @Test
  void aSecuredClusterServesOnlyClientsThatTrustItsAuthorityAndAsTheAclsSay() throws Exception {
    usePorts();
    Path tls = data.resolve("tls");

    CliResult up = run("", "bin/ordo-cluster", "up", "--secure");
    assertThat(up.exitCode()).as(up.toString()).isZero();
    assertThat(up.out()).contains("secured: TLS, authentication and ACLs")
        .contains("ORDO_TLS_CA=" + tls.resolve("ca.pem")).contains("ORDO_TLS_CERT=" + tls.resolve("admin.pem"));
    CliResult plaintext = run("", "bin/ordo", "topic", "list", "--request-timeout-ms", "3000");
    env.put("ORDO_TLS_CA", tls.resolve("ca.pem").toString());
    CliResult anonymous = run("", "bin/ordo", "topic", "list", "--request-timeout-ms", "3000");
    env.put("ORDO_TLS_CERT", tls.resolve("admin.pem").toString());
    env.put("ORDO_TLS_KEY", tls.resolve("admin.key").toString());
    CliResult created = run("", "bin/ordo", "topic", "create", "private", "--partitions", "2", "--replication-factor", "3");
    CliResult user = run("alices secret\n", "bin/ordo", "user", "create", "alice", "--new-password-file", "-");
    CliResult acl = run("", "bin/ordo", "acl", "add", "--principal", "User:alice", "--operation", "produce,consume", "--topic", "private");
    Path password = Files.writeString(data.resolve("alice.password"), "alices secret\n");
    env.remove("ORDO_TLS_CERT");
    env.remove("ORDO_TLS_KEY");
    env.put("ORDO_USER", "alice");
    env.put("ORDO_PASSWORD_FILE", password.toString());
    CliResult produced = run("a:1\nb:2\nc:3\n", "bin/ordo", "produce", "private", "--key-separator", ":");
    CliResult consumed = run("", "bin/ordo", "consume", "private", "--from-beginning", "--max-messages", "3", "--timeout-ms", "20000");
    CliResult deleted = run("", "bin/ordo", "topic", "delete", "private");
    CliResult status = run("", "bin/ordo-cluster", "status");

    assertThat(plaintext.exitCode()).as(plaintext.toString()).isNotZero();
    assertThat(anonymous.exitCode()).as(anonymous.toString()).isNotZero();
    assertThat(anonymous.err()).contains("requires authentication");
    assertThat(created.exitCode()).as(created.toString()).isZero();
    assertThat(user.exitCode()).as(user.toString()).isZero();
    assertThat(acl.exitCode()).as(acl.toString()).isZero();
    assertThat(produced.exitCode()).as(produced.toString()).isZero();
    assertThat(consumed.out().lines().toList()).containsExactlyInAnyOrder("1", "2", "3");
    assertThat(deleted.exitCode()).as(deleted.toString()).isNotZero();
    assertThat(deleted.err()).contains("User:alice may not delete topic 'private'");
    assertThat(status.out()).contains("node 1: running").contains("metadata leader: node");
    assertThat(Files.readString(data.resolve("node-1.log"))).doesNotContain("runs UNSECURED");
  }

  @Test
  void tourWorksAndKillingANodeLosesNothing() throws Exception {
    int[] bases = usePorts();
    int clientBase = bases[0];
    int metricsBase = bases[2];

    CliResult up = run("", "bin/ordo-cluster", "up");
    assertThat(up.exitCode()).as(up.toString()).isZero();
    assertThat(up.out()).contains("bootstrap: " + env.get("ORDO_BOOTSTRAP"));


    CliResult created = run("", "bin/ordo", "topic", "create", "tour", "--partitions", "3", "--replication-factor", "3");
    assertThat(created.exitCode()).as(created.toString()).isZero();

    StringBuilder first = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      first.append("k").append(i % 7).append(':').append("before-").append(i).append('\n');
    }
    CliResult produced = run(first.toString(), "bin/ordo", "produce", "tour", "--key-separator", ":");
    assertThat(produced.exitCode()).as(produced.toString()).isZero();

    HttpResponse<String> metrics = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (metricsBase + 1) + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.body()).as("node 1's metrics").contains("ordo_partition_end_offset{partition=\"0\",topic=\"tour\"}");

    // A second cluster on the same ports must not take the first one's answers for its own.
    CliResult secondUp = run("", "bin/ordo-cluster", "up", "--data", data.resolve("other").toString());
    assertThat(secondUp.exitCode()).as(secondUp.toString()).isNotZero();
    assertThat(secondUp.err()).contains("node 1 cannot start: another process holds its port(s) " + (clientBase + 1));

    CliResult killed = run("", "bin/ordo-cluster", "kill-leader", "tour", "0");
    assertThat(killed.exitCode()).as(killed.toString()).isZero();
    String killedNode = killed.out().replaceAll("(?s).*node (\\d+) leads.*", "$1");
    CliResult killedAgain = run("", "bin/ordo-cluster", "kill", killedNode);
    assertThat(killedAgain.exitCode()).as(killedAgain.toString()).isNotZero();
    assertThat(killedAgain.err()).contains("node " + killedNode + " is not running");

    StringBuilder second = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      second.append("k").append(i % 7).append(':').append("after-").append(i).append('\n');
    }
    CliResult producedAfterKill = run(second.toString(), "bin/ordo", "produce", "tour", "--key-separator", ":");
    assertThat(producedAfterKill.exitCode()).as(producedAfterKill.toString()).isZero();

    CliResult consumed =
        run("", "bin/ordo", "consume", "tour", "--from-beginning", "--max-messages", "200", "--timeout-ms", "20000");
    assertThat(consumed.exitCode()).as(consumed.toString()).isZero();
    List<String> values = consumed.out().lines().toList();
    assertThat(values).hasSize(200).doesNotHaveDuplicates();
    for (int i = 0; i < 100; i++) {
      assertThat(values).contains("before-" + i, "after-" + i);
    }

    CliResult restarted = run("", "bin/ordo-cluster", "up");
    assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
    CliResult status = run("", "bin/ordo-cluster", "status");
    assertThat(status.out()).contains("node 1: running", "node 2: running", "node 3: running");

    CliResult added = run("", "bin/ordo-cluster", "add-node");
    assertThat(added.exitCode()).as(added.toString()).isZero();
    assertThat(added.out()).contains("node 4 joined the cluster");
    // 9 replicas on nodes 1-3, none on node 4: more apart than the default threshold (2), so one moves on its own.
    try (OrdoClient client = OrdoClient.builder().bootstrap(env.get("ORDO_BOOTSTRAP")).build()) {
      await("a replica of tour moved to node 4").atMost(Duration.ofSeconds(90)).untilAsserted(() ->
          assertThat(client.admin().describeTopic("tour").partitions()).anySatisfy(p -> {
            assertThat(p.replicas()).contains(4);
            assertThat(p.reassigning()).isFalse();
            assertThat(p.inSyncReplicas()).hasSize(3);
          }));
    }
    assertThat(run("", "bin/ordo-cluster", "status").out()).contains("node 4: running");
  }

  /** Free port bases for the clients, Raft and metrics, set in the scripts' environment: {client, raft, metrics}. */
  private int[] usePorts() {
    int clientBase = freePortBase();
    int raftBase;
    do {
      raftBase = freePortBase();
    } while (Math.abs(raftBase - clientBase) < 10);
    int metricsBase;
    do {
      metricsBase = freePortBase();
    } while (Math.abs(metricsBase - clientBase) < 10 || Math.abs(metricsBase - raftBase) < 10);
    env.put("ORDO_DATA", data.toString());
    env.put("ORDO_METRICS_PORT_BASE", String.valueOf(metricsBase));
    env.put("ORDO_CLIENT_PORT_BASE", String.valueOf(clientBase));
    env.put("ORDO_RAFT_PORT_BASE", String.valueOf(raftBase));
    env.put("ORDO_BOOTSTRAP", "127.0.0.1:" + (clientBase + 1) + ",127.0.0.1:" + (clientBase + 2) + ",127.0.0.1:" + (clientBase + 3));
    return new int[] {clientBase, raftBase, metricsBase};
  }

  private CliResult run(String stdin, String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(command));
    cmd.set(0, HOME.resolve(cmd.get(0)).toString());
    ProcessBuilder builder = new ProcessBuilder(cmd).directory(HOME.toFile());
    builder.environment().putAll(env);
    Path out = Files.createTempFile(data, "out", ".txt");
    Path err = Files.createTempFile(data, "err", ".txt");
    builder.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = builder.start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within 3 minutes");
    }
    return new CliResult(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /**
   * A base port b with b+1..b+4 free on loopback, below the kernel's ephemeral range (from 32768),
   * so no outgoing connection takes one before a node binds it.
   */
  private static int freePortBase() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(12_000, 32_000);
      if (free(base + 1) && free(base + 2) && free(base + 3) && free(base + 4)) {
        return base;
      }
    }
    throw new IllegalStateException("no free ports");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
