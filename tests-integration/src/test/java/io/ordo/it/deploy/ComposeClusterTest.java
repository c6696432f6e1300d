package io.ordo.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import io.ordo.it.cluster.DockerCluster;
import io.ordo.it.cluster.ProcessCluster;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;

/**
 * deploy/docker-compose.yml, the way its header tells a user to run it: the real file with the
 * real Compose (v2's {@code docker compose}, else v1's {@code docker-compose}), {@code up -d
 * --build} on the offline base image, and the {@code ordo} CLI run with {@code exec} inside the
 * compose network, where the names the nodes advertise resolve. Then a node's container is
 * killed, the other two keep taking writes, it starts again and catches up; last, a client on
 * the host reads everything through the published ports, given the hosts entry the header names.
 *
 * <p>Skipped without Docker or Compose, failed instead when {@code CI=true}. The project (its
 * containers, network and volumes) is removed afterwards, and so is the image if this test built
 * a new one; the nodes' output is kept in target/clusters/ComposeClusterTest/compose.log.
 */
class ComposeClusterTest {
  private static final Path HOME = Path.of(System.getProperty("ordo.home", "..")).toAbsolutePath().normalize();
  private static final Path COMPOSE_FILE = HOME.resolve("deploy/docker-compose.yml");
  private static final Path LIB = HOME.resolve("deploy/target/ordo/lib");
  /** The image the compose file builds (its {@code image:}). */
  private static final String IMAGE_REPOSITORY = "ordo-node";
  private static final String IMAGE_TAG = "local";
  private static final String IMAGE = IMAGE_REPOSITORY + ":" + IMAGE_TAG;
  private static final String CLI_MAIN = "io.ordo.cli.OrdoCli";
  /** A CLI run is short: C1 only and the serial collector halve its CPU time on two cores. */
  private static final List<String> CLI_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
  /** Each node's client port, published under the same number. */
  private static final List<Integer> CLIENT_PORTS = List.of(9101, 9102, 9103);
  /**
   * Where the ports may be published (ORDO_PUBLISH_ADDRESS), in order of preference: the default,
   * else another loopback address, e.g. beside a local bin/ordo-cluster on 127.0.0.1:9101..9103.
   */
  private static final List<String> PUBLISH_ADDRESSES = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3");
  private static final String TOPIC = "compose-smoke";

  /** Building a fresh image copies ~100 MB of jars; a cached one takes seconds. */
  private static final Duration UP_TIMEOUT = Duration.ofMinutes(3);
  /** A CLI run is a JVM start (1-4 s here) plus the request, retries included (10 s at most). */
  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(40);
  private static final Duration COMPOSE_TIMEOUT = Duration.ofSeconds(60);
  /** Each node's stop_grace_period is 30 s; they stop in parallel. */
  private static final Duration DOWN_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration HEALTHY_TIMEOUT = Duration.ofSeconds(60);

  private static final Pattern IN_SYNC = Pattern.compile("\"inSyncReplicas\":\\[([0-9,]*)]");

  private static Path workDirectory;
  private static List<String> compose;
  private static String project;
  private static String imageBefore;
  private static String publishAddress;
  private static final Map<String, Long> stepMillis = new LinkedHashMap<>();

  @BeforeAll
  static void up() {
    DockerCluster.requireDocker(); // an engine, and the offline base image
    compose = findCompose();
    if (compose == null) {
      DockerCluster.unavailable("neither `docker compose` nor `docker-compose` runs (see .ci/docker-up.sh)");
    }
    if (!Files.isDirectory(LIB)) {
      throw new IllegalStateException(LIB + " is missing: build the deploy module first (mvn install)");
    }
    publishAddress = PUBLISH_ADDRESSES.stream()
        .filter(address -> CLIENT_PORTS.stream().allMatch(port -> free(address, port)))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(
            "ports " + CLIENT_PORTS + " are taken on each of " + PUBLISH_ADDRESSES + " (clusters left running?)"));
    workDirectory = ProcessCluster.freshDirectory("ComposeClusterTest");
    project = "ordo-it-" + ProcessHandle.current().pid() + "-" + Long.toString(Math.floorMod(System.nanoTime(), 1_000_000L), 36);
    imageBefore = imageId();
    long start = System.nanoTime();
    compose(UP_TIMEOUT, "", "up", "-d", "--build").assertOk();
    took("up --build", start);
    start = System.nanoTime();
    awaitEveryNodeAlive("ordo-1");
    took("healthy", start);
  }

  @AfterAll
  static void down() {
    if (project == null) {
      return; // skipped before anything started
    }
    try {
      saveLogs();
      long start = System.nanoTime();
      compose(DOWN_TIMEOUT, "", "down", "-v", "--remove-orphans").assertOk();
      took("down -v", start);
    } finally {
      removeBuiltImage();
      System.out.println("ComposeClusterTest (" + String.join(" ", compose) + ", ports on " + publishAddress + "): "
          + stepMillis.entrySet().stream()
              .map(e -> e.getKey() + " " + e.getValue() + " ms")
              .collect(Collectors.joining(", ")));
    }
  }

  /** The nodes' output, for a reader of a failed run; its absence fails nothing. */
  private static void saveLogs() {
    try {
      Result logs = compose(COMPOSE_TIMEOUT, "", "logs", "--no-color");
      Files.writeString(workDirectory.resolve("compose.log"), logs.out() + logs.err());
    } catch (IOException | RuntimeException | AssertionError e) {
      System.err.println("ComposeClusterTest: cannot save the nodes' logs: " + e);
    }
  }

  @Test
  void composeClusterServesRecordsAndKeepsTakingThemWithANodeKilled() {
    long start = System.nanoTime();
    Result created = ordo("ordo-1", "", "topic", "create", TOPIC, "--partitions", "3", "--replication-factor", "3");
    created.assertOk();
    Result produced = ordo("ordo-1", "alice:apple\nbob:bread\nalice:avocado\n", "produce", TOPIC, "--key-separator", ":");
    produced.assertOk();
    List<String> before = List.of("alice\tapple", "bob\tbread", "alice\tavocado");
    assertThat(consume("ordo-3", before.size())).containsExactlyInAnyOrderElementsOf(before);
    took("create, produce, consume", start);

    start = System.nanoTime();
    compose(COMPOSE_TIMEOUT, "", "kill", "ordo-2").assertOk();
    await("ordo-2's container stopped").atMost(Duration.ofSeconds(10)).until(() -> containerState("ordo-2"), "exited"::equals);
    took("kill ordo-2", start);

    start = System.nanoTime();
    // Where node 2 led a partition, these writes wait for a new leader, within the CLI's retries.
    Result producedWithoutNode2 =
        ordo("ordo-3", "carol:cherry\ndave:date\nerin:elderberry\nfrank:fig\ngrace:grape\nalice:apricot\n",
            "produce", TOPIC, "--key-separator", ":");
    producedWithoutNode2.assertOk();
    took("produce on two nodes", start);
    start = System.nanoTime();
    List<String> all = new ArrayList<>(before);
    all.addAll(List.of(
        "carol\tcherry", "dave\tdate", "erin\telderberry", "frank\tfig", "grace\tgrape", "alice\tapricot"));
    List<String> read = consume("ordo-1", all.size());
    assertThat(read).containsExactlyInAnyOrderElementsOf(all);
    assertThat(List.of(read.indexOf("alice\tapple"), read.indexOf("alice\tavocado"), read.indexOf("alice\tapricot")))
        .as("one key's records in the order they were written: %s", read)
        .isSorted();
    assertThat(containerState("ordo-2"))
        .as("ordo-2 stayed down through those writes (a killed container is not restarted)")
        .isEqualTo("exited");
    took("consume on two nodes", start);

    start = System.nanoTime();
    compose(COMPOSE_TIMEOUT, "", "start", "ordo-2").assertOk();
    await("ordo-2 back, and in sync again on every partition")
        .atMost(HEALTHY_TIMEOUT)
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> {
          Result described = ordo("ordo-2", "", "topic", "describe", TOPIC, "--output", "json");
          described.assertOk();
          assertThat(inSyncReplicas(described.out())).as(described.toString()).hasSize(3).allMatch(ids -> ids.contains(2));
        });
    took("start ordo-2, catch up", start);

    start = System.nanoTime();
    Result fromHost = ordoOnHost("consume", TOPIC, "--from-beginning", "--max-messages", String.valueOf(all.size()),
        "--timeout-ms", "20000", "--print-key");
    fromHost.assertOk();
    assertThat(fromHost.out().lines().toList())
        .as("a client on the host, with ordo-1..3 resolving to %s", publishAddress)
        .containsExactlyInAnyOrderElementsOf(all);
    took("consume from the host", start);
  }

  /** Waits until the CLI in {@code service}'s container sees three live nodes and a metadata leader. */
  private static void awaitEveryNodeAlive(String service) {
    await("every node alive, seen from " + service)
        .atMost(HEALTHY_TIMEOUT)
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> {
          Result status = ordo(service, "", "cluster", "status", "--output", "json");
          status.assertOk();
          assertThat(status.out()).as(status.toString())
              .doesNotContain("\"metadataLeader\":0")
              .doesNotContain("\"alive\":false")
              .contains("\"clientAddress\":\"ordo-1:9101\"", "\"clientAddress\":\"ordo-2:9102\"",
                  "\"clientAddress\":\"ordo-3:9103\"");
          assertThat(status.out().split("\"alive\":true", -1)).as(status.toString()).hasSize(4);
        });
  }

  /** {@code ordo consume} of the whole topic in {@code service}'s container: key TAB value lines. */
  private static List<String> consume(String service, int records) {
    Result consumed = ordo(service, "", "consume", TOPIC, "--from-beginning", "--max-messages", String.valueOf(records),
        "--timeout-ms", "20000", "--print-key");
    consumed.assertOk();
    return consumed.out().lines().toList();
  }

  /** Each partition's in-sync replica ids, from {@code ordo topic describe --output json}. */
  private static List<List<Integer>> inSyncReplicas(String json) {
    List<List<Integer>> partitions = new ArrayList<>();
    Matcher m = IN_SYNC.matcher(json);
    while (m.find()) {
      partitions.add(m.group(1).isEmpty()
          ? List.of()
          : Arrays.stream(m.group(1).split(",")).map(Integer::valueOf).toList());
    }
    return partitions;
  }

  /**
   * {@code ordo ARGS} in {@code service}'s container, as the compose file's header shows: the
   * node's environment has ORDO_BOOTSTRAP, so no --bootstrap.
   */
  private static Result ordo(String service, String stdin, String... args) {
    List<String> command = new ArrayList<>(List.of("exec", "-T", service, "java"));
    command.addAll(CLI_JVM_OPTIONS);
    command.addAll(List.of("-cp", "/opt/ordo/lib/*", CLI_MAIN));
    command.addAll(List.of(args));
    return compose(CLI_TIMEOUT, stdin, command.toArray(String[]::new));
  }

  /**
   * {@code ordo ARGS} on this host with the distribution's jars, bootstrapping from the published
   * ports, with a hosts file in which ordo-1..3 are the address they are published on, as the
   * header tells a user to set up in /etc/hosts.
   */
  private static Result ordoOnHost(String... args) {
    Path hosts = workDirectory.resolve("hosts");
    try {
      Files.writeString(hosts, publishAddress + " ordo-1 ordo-2 ordo-3\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(CLI_JVM_OPTIONS);
    command.addAll(List.of("-Djdk.net.hosts.file=" + hosts, "-cp", LIB + "/*", CLI_MAIN));
    command.addAll(List.of(args));
    command.add("--bootstrap");
    command.add(CLIENT_PORTS.stream().map(port -> publishAddress + ":" + port).collect(Collectors.joining(",")));
    return run(command, Map.of(), "", CLI_TIMEOUT);
  }

  /**
   * {@code <compose> -p PROJECT -f deploy/docker-compose.yml ARGS}, on the offline base image,
   * publishing on {@link #publishAddress}.
   */
  private static Result compose(Duration timeout, String stdin, String... args) {
    List<String> command = new ArrayList<>(compose);
    command.addAll(List.of("-p", project, "-f", COMPOSE_FILE.toString()));
    command.addAll(List.of(args));
    return run(command, Map.of("ORDO_BASE_IMAGE", DockerCluster.baseImage(), "ORDO_PUBLISH_ADDRESS", publishAddress), stdin, timeout);
  }

  /** {@code docker compose} if the docker CLI has it, else {@code docker-compose}; null if neither runs. */
  private static List<String> findCompose() {
    for (List<String> candidate : List.of(List.of("docker", "compose"), List.of("docker-compose"))) {
      List<String> version = new ArrayList<>(candidate);
      version.add("version");
      try {
        if (run(version, Map.of(), "", COMPOSE_TIMEOUT).exitCode() == 0) {
          return candidate;
        }
      } catch (UncheckedIOException notOnPath) {
        // try the next one
      }
    }
    return null;
  }

  private static boolean free(String address, int port) {
    try {
      new ServerSocket(port, 1, InetAddress.getByName(address)).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The state ("running", "exited", ...) of {@code service}'s one container in this project. */
  private static String containerState(String service) {
    List<Container> containers = docker().listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(Map.of("com.docker.compose.project", project, "com.docker.compose.service", service))
        .exec();
    assertThat(containers).as("containers of service " + service).hasSize(1);
    return containers.get(0).getState();
  }

  private static String imageId() {
    try {
      return docker().inspectImageCmd(IMAGE).exec().getId();
    } catch (NotFoundException e) {
      return null;
    }
  }

  /**
   * Removes {@link #IMAGE} if this test built a new one, and gives the tag back to the image that
   * had it before, if any.
   */
  private static void removeBuiltImage() {
    String built = imageId();
    if (built == null || built.equals(imageBefore)) {
      return;
    }
    docker().removeImageCmd(IMAGE).exec(); // the tag; the image too unless another tag keeps it
    if (imageBefore != null) {
      try {
        docker().tagImageCmd(imageBefore, IMAGE_REPOSITORY, IMAGE_TAG).exec();
      } catch (NotFoundException gone) {
        // nothing to give the tag back to
      }
    }
  }

  private static DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  private static void took(String step, long startNanos) {
    stepMillis.put(step, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
  }

  /** Runs {@code command} in the repository root with {@code stdin}, within {@code timeout}. */
  private static Result run(List<String> command, Map<String, String> env, String stdin, Duration timeout) {
    Path out = null;
    Path err = null;
    Process p = null;
    try {
      out = Files.createTempFile("compose-it", ".out");
      err = Files.createTempFile("compose-it", ".err");
      ProcessBuilder builder = new ProcessBuilder(command).directory(HOME.toFile());
      builder.environment().putAll(env);
      p = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
      }
      return new Result(command, p.exitValue(), Files.readString(out), Files.readString(err));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // e.g. Awaitility's deadline
      throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
    } finally {
      if (p != null && p.isAlive()) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      if (file != null) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      // a temporary file; the OS cleans up
    }
  }

  /** What a command printed and how it exited. */
  private record Result(List<String> command, int exitCode, String out, String err) {
    void assertOk() {
      assertThat(exitCode).as("%s", this).isZero();
    }

    @Override
    public String toString() {
      return String.join(" ", command) + ": exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }
}
