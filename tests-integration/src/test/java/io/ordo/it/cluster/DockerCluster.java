package io.ordo.it.cluster;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.Volume;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.ordo.client.OrdoClient;
import io.ordo.protocol.TestCertificates;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * A cluster of {@code ordo-node} processes, one per Docker container on a private bridge network,
 * so that a nemesis can cut the network between them. Each container is long-lived ({@code tini --
 * sleep infinity}, with {@code NET_ADMIN}); the node is a process started in it with {@code docker
 * exec}, so a crashed node keeps its container, its IP address and its data directory.
 *
 * <p>Nodes advertise their container IPs (client port {@value #CLIENT_PORT}, Raft port {@value
 * #RAFT_PORT}); this JVM reaches those IPs directly, which needs the Docker engine on this (Linux)
 * host. Faults:
 *
 * <ul>
 *   <li>{@link #kill}: SIGKILL of the node's JVM; {@link #start} runs it again on the same data.
 *   <li>{@link #pause}: SIGSTOP of the node's JVM, {@link #resume}: SIGCONT. Not {@code docker
 *       pause}: a paused container refuses {@code docker exec}, so it could not then be killed,
 *       partitioned or healed, and a stopped process can.
 *   <li>{@link #partition} and {@link #lossy}: iptables rules in the nodes' network namespaces,
 *       kept as a desired state per node and installed with one atomic {@code iptables-restore}
 *       per changed node. A partition drops packets by peer IP, so this JVM still reaches every
 *       node (it is a client on neither side). Loss drops every packet the node receives except on
 *       loopback, this JVM's included.
 *   <li>{@link #slow}: tc token buckets on the egress between a node and its peers, both ways;
 *       this JVM's traffic is not slowed.
 *   <li>{@link #fillStore}: in a cluster started with bounded stores (each node's data store, the
 *       RocksDB the replicas apply to, and its Raft log store, each on a tmpfs of its own), a file
 *       takes every free byte of one of a node's stores, so its writes fail as on a full disk;
 *       {@link #freeStore} deletes it. Raft metadata and snapshots stay on the container's disk.
 * </ul>
 *
 * <p>The image {@value #IMAGE} is built from {@code deploy/docker/Dockerfile} and the jars in
 * {@code deploy/target/ordo/lib} once per JVM (the layer cache makes a rebuild of unchanged jars
 * cheap, and it never tests stale jars), on top of a local base image (default {@value
 * #DEFAULT_BASE_IMAGE}, from {@code deploy/docker/build-base-image.sh}; {@code ORDO_BASE_IMAGE} or
 * {@code -Dordo.docker.baseImage} overrides) that must have tini, iptables and procps. Nothing is
 * pulled from a registry.
 *
 * <p>Node output is appended to {@code node-N.log} in the cluster's directory, bind-mounted into
 * every container, so it can be read while the test runs. {@link #close} removes the containers
 * and the network; a shutdown hook does the same for clusters a test forgot, and containers left
 * by a JVM that died are removed the next time a cluster starts.
 */
public final class DockerCluster implements FaultableCluster {
  /** The node image this harness builds and runs. */
  public static final String IMAGE = "ordo-node:test";

  public static final String DEFAULT_BASE_IMAGE = "ordo-base:bookworm-2";
  public static final int CLIENT_PORT = 9100;
  public static final int RAFT_PORT = 9200;

  private static final Logger log = LoggerFactory.getLogger(DockerCluster.class);
  private static final String DATA_DIR = "/var/lib/ordo";
  /** A node's RocksDB stores, each a directory of its data directory (see OrdoNode). */
  public enum Store {
    /** Where the partition replicas apply their entries. */
    DATA("store"),
    /** Where every Raft group of the node keeps its log. */
    RAFT_LOG("raft-log");

    private final String dir;

    Store(String dir) {
      this.dir = dir;
    }

    String dir() {
      return DATA_DIR + "/" + dir;
    }

    String filler() {
      return dir() + "/filler";
    }
  }
  private static final String LOG_DIR = "/var/log/ordo";
  private static final String ENTRYPOINT = "/opt/ordo/bin/ordo-node-entrypoint";
  /** Debian's libfaketime in the base image (deploy/docker/build-base-image.sh). */
  private static final String FAKETIME_LIBRARY = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
  /** Matches the node's JVM but not a shell whose arguments contain this very pattern. */
  private static final String NODE_PROCESS = "io[.]ordo[.]node[.]OrdoNodeMain";
  private static final String JAVA_OPTS = "-Xms64m -Xmx384m -XX:+UseSerialGC";
  private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration IMAGE_BUILD_TIMEOUT = Duration.ofMinutes(10);
  /** Labels on every container and network this harness creates; the pid finds leftovers. */
  private static final String HARNESS_LABEL = "io.ordo.it.harness";
  private static final String PID_LABEL = "io.ordo.it.pid";

  private static final Set<DockerCluster> OPEN = Collections.synchronizedSet(new LinkedHashSet<>());
  private static boolean imageReady;
  private static boolean leftoversRemoved;

  private final String name;
  private final Path logDirectory;
  private final int size;
  private final Map<String, String> extraOptions;
  /** Size of each node's store tmpfs (see {@link Store}); 0: the stores are on the container's disk. */
  private final long storeBytes;
  private final DockerClient docker;
  private final Network network;
  private final List<GenericContainer<?>> containers = new ArrayList<>();
  private final String[] ips;
  /** Peers whose packets each node drops, as installed in its iptables (index = node id). */
  private final List<Set<Integer>> cutOff = new ArrayList<>();
  private final double[] loss;
  /** Peers each node's egress to is throttled, as installed in its tc qdiscs (index = node id). */
  private final List<Set<Integer>> throttledTo = new ArrayList<>();
  /** The throttle of each node's egress to {@link #throttledTo}, null when none. */
  private final Throttle[] throttle;
  private final Set<Integer> paused = new TreeSet<>();
  private boolean closed;
  /** TLS everywhere, authentication required and ACLs enforced, with this JVM's clients as the super user. */
  private final boolean secured;
  /** For a secured cluster: the authority and this JVM's clients' certificate, from {@link #makeCertificates}. */
  private TestCertificates.Authority authority;
  private TestCertificates.Identity superUser;

  private DockerCluster(String name, int size, Map<String, String> extraOptions, long storeBytes, boolean secured) {
    this.secured = secured;
    this.name = name;
    this.logDirectory = ProcessCluster.freshDirectory(name);
    this.size = size;
    this.extraOptions = Map.copyOf(extraOptions);
    this.storeBytes = storeBytes;
    this.docker = DockerClientFactory.instance().client();
    Map<String, String> labels = harnessLabels();
    this.network = Network.builder().createNetworkCmdModifier(cmd -> cmd.withLabels(labels)).build();
    this.ips = new String[size + 1];
    this.loss = new double[size + 1];
    this.throttle = new Throttle[size + 1];
    for (int i = 0; i <= size; i++) {
      cutOff.add(new TreeSet<>());
      throttledTo.add(new TreeSet<>());
    }
  }

  /**
   * Starts {@code size} nodes with ids 1..size in fresh containers; {@code extraOptions} are
   * ordo-node flags ({@code --election-timeout-ms} → {@code 3000}). Logs go to
   * target/clusters/{@code name}. Skips the calling test (fails it when {@code CI=true}) if Docker
   * cannot run it; see {@link #requireDocker}.
   */
  public static DockerCluster start(String name, int size, Map<String, String> extraOptions) {
    return start(name, size, extraOptions, 0);
  }

  /**
   * As {@link #start(String, int, Map)}, each of a node's {@link Store stores} on a tmpfs of {@code
   * storeBytes} (0: on the container's disk), which {@link #fillStore} can fill. {@link #wipe} is not
   * for such a cluster: the stores' mount points cannot be deleted.
   */
  public static DockerCluster start(String name, int size, Map<String, String> extraOptions, long storeBytes) {
    return start(name, size, extraOptions, storeBytes, false);
  }

  /**
   * As {@link #start(String, int, Map)}, secured as a production cluster would be: TLS on every
   * port (a throwaway authority; one node certificate for the containers' addresses), clients
   * authenticated and ACLs enforced. {@link #clientBuilder} gives clients a super user's certificate.
   */
  public static DockerCluster startSecured(String name, int size, Map<String, String> extraOptions) {
    return start(name, size, extraOptions, 0, true);
  }

  private static DockerCluster start(String name, int size, Map<String, String> extraOptions, long storeBytes, boolean secured) {
    if (size < 1) {
      throw new IllegalArgumentException("size must be positive: " + size);
    }
    requireDocker();
    ensureImage();
    removeLeftovers();
    DockerCluster cluster = new DockerCluster(name, size, extraOptions, storeBytes, secured);
    OPEN.add(cluster);
    try {
      cluster.startContainers();
      if (secured) {
        cluster.makeCertificates();
      }
      for (int i = 1; i <= size; i++) {
        cluster.start(i);
      }
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  /**
   * Returns if this JVM can run a {@code DockerCluster}: a Docker engine answers and the base image
   * is there. Otherwise aborts the calling test as skipped, with the reason, or, when the
   * environment has {@code CI=true}, fails it: CI must never skip the fault tests silently.
   */
  public static void requireDocker() {
    boolean available;
    try {
      available = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) { // Testcontainers' own probes failed, e.g. an image pull
      unavailable("Testcontainers cannot set up its Docker client: " + e);
      return;
    }
    if (!available) {
      unavailable("no Docker engine is reachable (start dockerd, or see .ci/docker-up.sh)");
    }
    String base = baseImage();
    try {
      DockerClientFactory.instance().client().inspectImageCmd(base).exec();
    } catch (NotFoundException e) {
      unavailable("the base image " + base + " is missing (run deploy/docker/build-base-image.sh)");
    }
  }

  /** Skips the calling test because Docker cannot run it, or fails it when {@code CI=true}. */
  public static void unavailable(String problem) {
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new IllegalStateException("CI=true and Docker tests cannot run: " + problem);
    }
    Assumptions.abort("Docker tests cannot run: " + problem + "; skipped (CI=true makes this a failure)");
  }

  /** The base image: -Dordo.docker.baseImage, else ORDO_BASE_IMAGE, else {@link #DEFAULT_BASE_IMAGE}. */
  public static String baseImage() {
    String fromEnv = System.getenv("ORDO_BASE_IMAGE");
    String fallback = fromEnv == null || fromEnv.isBlank() ? DEFAULT_BASE_IMAGE : fromEnv;
    return System.getProperty("ordo.docker.baseImage", fallback);
  }

  /**
   * Builds {@link #IMAGE} from deploy/ once per JVM. The build context holds only what the
   * Dockerfile copies, uncompressed: Testcontainers' ImageFromDockerfile and docker-java's
   * withBaseDirectory both gzip it, which costs 3-7 s for the jars on every run, where a context
   * with unchanged jars is otherwise a layer-cache hit in about a second.
   */
  private static synchronized void ensureImage() {
    if (imageReady) {
      return;
    }
    Path deploy = Path.of(System.getProperty("ordo.home", "..")).toAbsolutePath().normalize().resolve("deploy");
    Path lib = deploy.resolve("target/ordo/lib");
    if (!Files.isDirectory(lib)) {
      throw new IllegalStateException(lib + " is missing: build the deploy module first (mvn install)");
    }
    long startNanos = System.nanoTime();
    Path context = null;
    try {
      context = Files.createTempFile("ordo-node-image", ".tar");
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new BufferedOutputStream(Files.newOutputStream(context)))) {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        addToTar(tar, deploy, deploy.resolve("docker/Dockerfile"));
        addToTar(tar, deploy, deploy.resolve("docker/ordo-node-entrypoint.sh"));
        try (Stream<Path> jars = Files.list(lib)) {
          for (Path jar : jars.sorted().toList()) {
            addToTar(tar, deploy, jar);
          }
        }
      }
      DockerClient docker = DockerClientFactory.instance().client();
      String previous = imageId(docker, IMAGE);
      try (InputStream in = Files.newInputStream(context)) {
        docker.buildImageCmd(in)
            .withDockerfilePath("docker/Dockerfile")
            .withBuildArg("BASE_IMAGE", baseImage())
            .withTags(Set.of(IMAGE))
            .withPull(false)
            .exec(new BuildImageResultCallback())
            .awaitImageId(IMAGE_BUILD_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      }
      if (previous != null && !previous.equals(imageId(docker, IMAGE))) {
        removeStaleImage(docker, previous); // each build with new jars would leave ~100 MB behind
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot build " + IMAGE + " from " + deploy, e);
    } finally {
      deleteQuietly(context);
    }
    log.info("built {} in {} ms", IMAGE, millisSince(startNanos));
    imageReady = true;
  }

  private static String imageId(DockerClient docker, String image) {
    try {
      return docker.inspectImageCmd(image).exec().getId();
    } catch (NotFoundException e) {
      return null;
    }
  }

  private static void removeStaleImage(DockerClient docker, String id) {
    try {
      docker.removeImageCmd(id).exec();
    } catch (RuntimeException e) { // e.g. a container of another test JVM still uses it
      log.info("kept the previous {} ({}): {}", IMAGE, id, e.getMessage());
    }
  }

  private static void addToTar(TarArchiveOutputStream tar, Path base, Path file) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(file, base.relativize(file).toString());
    entry.setMode(Files.isExecutable(file) ? 0100755 : 0100644);
    tar.putArchiveEntry(entry);
    Files.copy(file, tar);
    tar.closeArchiveEntry();
  }

  private static void deleteQuietly(Path file) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("cannot delete {}", file, e);
    }
  }

  /** Removes containers and networks of DockerClusters whose JVM is gone (killed mid-test). */
  private static synchronized void removeLeftovers() {
    if (leftoversRemoved) {
      return;
    }
    leftoversRemoved = true;
    DockerClient docker = DockerClientFactory.instance().client();
    Map<String, String> ours = Map.of(HARNESS_LABEL, DockerCluster.class.getSimpleName());
    for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(ours).exec()) {
      if (ownerGone(c.getLabels())) {
        log.warn("removing container {} left by a dead test JVM", c.getId());
        docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
      }
    }
    for (com.github.dockerjava.api.model.Network n :
        docker.listNetworksCmd().withFilter("label", List.of(HARNESS_LABEL)).exec()) {
      if (ownerGone(n.getLabels())) {
        log.warn("removing network {} left by a dead test JVM", n.getName());
        docker.removeNetworkCmd(n.getId()).exec();
      }
    }
  }

  private static boolean ownerGone(Map<String, String> labels) {
    String pid = labels == null ? null : labels.get(PID_LABEL);
    try {
      return pid != null && ProcessHandle.of(Long.parseLong(pid)).isEmpty();
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static Map<String, String> harnessLabels() {
    return Map.of(
        HARNESS_LABEL, DockerCluster.class.getSimpleName(),
        PID_LABEL, String.valueOf(ProcessHandle.current().pid()));
  }

  private void startContainers() {
    long startNanos = System.nanoTime();
    Map<String, String> labels = new HashMap<>(harnessLabels());
    labels.put("io.ordo.it.cluster", name);
    for (int i = 1; i <= size; i++) {
      String hostname = "ordo-" + i;
      GenericContainer<?> c =
          new GenericContainer<>(DockerImageName.parse(IMAGE))
              .withImagePullPolicy(image -> false)
              .withNetwork(network)
              .withNetworkAliases(hostname)
              .withLabels(labels)
              .withCommand("sleep", "infinity")
              .withCreateContainerCmdModifier(cmd -> {
                // Root, not the image's unprivileged user: the nemesis needs iptables and tc, and
                // the nodes write their logs into this JVM's directory.
                cmd.withEntrypoint("tini", "--").withHostName(hostname).withUser("root");
                // Bound here rather than with withFileSystemBind, whose check of the engine's
                // mount support runs a container from a registry image.
                Objects.requireNonNull(cmd.getHostConfig())
                    .withCapAdd(Capability.NET_ADMIN)
                    .withBinds(new Bind(logDirectory.toString(), new Volume(LOG_DIR)));
                if (storeBytes > 0) {
                  Map<String, String> tmpfs = new HashMap<>();
                  for (Store store : Store.values()) {
                    tmpfs.put(store.dir(), "rw,size=" + storeBytes);
                  }
                  cmd.getHostConfig().withTmpFs(tmpfs);
                }
              })
              .waitingFor(new Started());
      containers.add(c);
    }
    Startables.deepStart(containers).join();
    for (int i = 1; i <= size; i++) {
      ips[i] = ipOnNetwork(container(i));
    }
    requireReachable(ips[1]);
    log.info("cluster {}: {} containers up in {} ms at {}", name, size, millisSince(startNanos),
        String.join(",", Arrays.asList(ips).subList(1, size + 1)));
  }

  /** Certificates in the log directory, which every container sees at {@link #LOG_DIR}. */
  private void makeCertificates() {
    try {
      Path tls = Files.createDirectories(logDirectory.resolve("tls"));
      authority = TestCertificates.authority(tls, "ca");
      TestCertificates.issue(authority, tls, "node", Arrays.asList(ips).subList(1, size + 1));
      superUser = TestCertificates.issue(authority, tls, "harness");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The ordo-node flags that secure a node, with the files as the containers see them. */
  private Map<String, String> securityOptions() {
    String tls = LOG_DIR + "/tls/";
    return Map.of(
        "--tls-cert", tls + "node.pem", "--tls-key", tls + "node.key", "--tls-ca", tls + "ca.pem",
        "--require-authentication", "true", "--authorization", "true", "--super-users", "User:CN=harness");
  }

  @Override
  public OrdoClient.Builder clientBuilder() {
    OrdoClient.Builder builder = OrdoClient.builder().bootstrap(bootstrap());
    return secured ? builder.tls(authority.certificate(), superUser.certificate(), superUser.key()) : builder;
  }

  private String ipOnNetwork(GenericContainer<?> c) {
    for (ContainerNetwork n : c.getContainerInfo().getNetworkSettings().getNetworks().values()) {
      if (network.getId().equals(n.getNetworkID())) {
        return n.getIpAddress();
      }
    }
    throw new IllegalStateException("container " + c.getContainerId() + " is not on network " + network.getId());
  }

  /**
   * Nodes advertise container IPs, so this JVM must route to them: true on a Linux host that runs
   * the engine, false with a remote engine or Docker Desktop's VM. Nothing listens yet, so a
   * refused connection proves the route.
   */
  private static void requireReachable(String ip) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(ip, CLIENT_PORT), 2_000);
    } catch (ConnectException refused) {
      return;
    } catch (IOException e) {
      unavailable("this JVM cannot reach container IP " + ip + " (" + e + "); the engine must run on this Linux host");
    }
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public String bootstrap() {
    return IntStream.rangeClosed(1, size).mapToObj(this::clientAddress).collect(Collectors.joining(","));
  }

  /** ip:port where clients, this JVM included, reach node {@code node}. */
  public String clientAddress(int node) {
    return ip(node) + ":" + CLIENT_PORT;
  }

  /** Node {@code node}'s IP address on the cluster's private network. */
  public String ip(int node) {
    checkNode(node);
    return ips[node];
  }

  public Path logFile(int node) {
    checkNode(node);
    return logDirectory.resolve("node-" + node + ".log");
  }

  @Override
  public Path logDirectory() {
    return logDirectory;
  }

  @Override
  public synchronized boolean isRunning(int node) {
    checkNode(node);
    return exec(node, "pgrep", "-f", NODE_PROCESS).exitCode() == 0;
  }

  /** Starts node {@code node}'s process (again), on the same address and data directory. */
  @Override
  public void start(int node) {
    start(node, Map.of());
  }

  @Override
  public boolean awaitServing(int node, Duration atMost) {
    checkNode(node);
    ChannelCredentials credentials = secured ? tlsCredentials() : InsecureChannelCredentials.create();
    ManagedChannel channel = Grpc.newChannelBuilder(clientAddress(node), credentials).build();
    try {
      long deadline = System.nanoTime() + atMost.toNanos();
      while (System.nanoTime() < deadline) {
        channel.resetConnectBackoff(); // else a node that boots for long is asked ever more seldom
        try {
          ServingStatus status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance()).getStatus();
          if (status == ServingStatus.SERVING) {
            return true;
          }
        } catch (StatusRuntimeException notYet) {
          // not listening yet, or too busy to answer: asked again
        }
        TimeUnit.MILLISECONDS.sleep(200);
      }
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      channel.shutdownNow();
    }
  }

  private ChannelCredentials tlsCredentials() {
    try {
      return TlsChannelCredentials.newBuilder()
          .trustManager(authority.certificate().toFile())
          .keyManager(superUser.certificate().toFile(), superUser.key().toFile())
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** With libfaketime preloaded (the base image has it): it shifts the wall clock only. */
  @Override
  public void startWithClockOffset(int node, Duration offset) {
    start(node, Map.of(
        "LD_PRELOAD", FAKETIME_LIBRARY,
        "FAKETIME", (offset.isNegative() ? "" : "+") + offset.toSeconds(),
        "FAKETIME_DONT_FAKE_MONOTONIC", "1"));
  }

  private synchronized void start(int node, Map<String, String> extraEnv) {
    long startNanos = System.nanoTime();
    if (isRunning(node)) {
      throw new IllegalStateException("node " + node + " is running");
    }
    Map<String, String> env = new HashMap<>(extraEnv);
    env.put("ORDO_NODE_ID", String.valueOf(node));
    env.put("ORDO_CLIENT_ADDR", clientAddress(node));
    env.put("ORDO_RAFT_ADDR", ips[node] + ":" + RAFT_PORT);
    env.put("ORDO_INITIAL_CLUSTER", initialCluster());
    env.put("ORDO_DATA_DIR", DATA_DIR);
    env.put("JAVA_OPTS", JAVA_OPTS);
    env.put("ORDO_RAFT_LOG_LEVEL", "INFO"); // elections and step-downs in the node's log, to explain a run
    List<String> command = new ArrayList<>(List.of(
        "sh", "-c", "exec " + ENTRYPOINT + " \"$@\" >>" + LOG_DIR + "/node-" + node + ".log 2>&1", "ordo-node"));
    extraOptions.forEach((flag, value) -> command.addAll(List.of(flag, value)));
    if (secured) {
      securityOptions().forEach((flag, value) -> command.addAll(List.of(flag, value)));
    }
    String execId =
        docker.execCreateCmd(container(node).getContainerId())
            .withCmd(command.toArray(String[]::new))
            .withEnv(env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
            .exec()
            .getId();
    try (ResultCallback.Adapter<Frame> started =
        docker.execStartCmd(execId).withDetach(true).exec(new ResultCallback.Adapter<>())) {
      if (!started.awaitCompletion(EXEC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("docker exec did not start node " + node + " within " + EXEC_TIMEOUT);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted starting node " + node, e);
    }
    // The exec returns before its shell has become the JVM: until then the node does not look
    // running, and a heal that asks would start it twice.
    ExecResult appeared = exec(node, "sh", "-c", awaitProcess(true, Duration.ofSeconds(10)), NODE_PROCESS);
    if (appeared.exitCode() != 0) {
      throw new IllegalStateException("node " + node + "'s JVM did not appear within 10 s of its start; see its log");
    }
    log.info("cluster {}: started node {}{} in {} ms", name, node, extraEnv.isEmpty() ? "" : " with " + extraEnv,
        millisSince(startNanos));
  }

  /** SIGKILL of the node's JVM; returns once it is gone. A paused node dies without resuming. */
  @Override
  public synchronized void kill(int node) {
    long startNanos = System.nanoTime();
    signalAndWait(node, "KILL", Duration.ofSeconds(10));
    log.info("cluster {}: killed node {} in {} ms", name, node, millisSince(startNanos));
  }

  /** SIGTERM: the node hands its leaderships over and stops; returns once it has exited. */
  public synchronized void stop(int node) {
    if (paused.contains(node)) {
      resume(node);
    }
    signalAndWait(node, "TERM", STOP_TIMEOUT);
  }

  /**
   * A shell loop that polls every 50 ms until a process matching {@code $0} runs (or, with {@code
   * running} false, until none does), and exits 1 once {@code timeout} has passed.
   */
  private static String awaitProcess(boolean running, Duration timeout) {
    long polls = Math.max(1, timeout.toMillis() / 50);
    return "i=0; " + (running ? "until" : "while") + " pgrep -f \"$0\" >/dev/null; do"
        + " i=$((i+1)); [ $i -gt " + polls + " ] && exit 1; sleep 0.05; done";
  }

  private void signalAndWait(int node, String signal, Duration timeout) {
    checkNode(node);
    ExecResult r = exec(node, "sh", "-c", "pkill -" + signal + " -f \"$0\"; " + awaitProcess(false, timeout), NODE_PROCESS);
    if (r.exitCode() != 0) {
      throw new IllegalStateException("node " + node + " still runs " + timeout + " after SIG" + signal + ": " + r);
    }
    paused.remove(node);
  }

  /** SIGSTOP of the node's JVM. A node that is down stays down and is not paused. */
  @Override
  public synchronized void pause(int node) {
    long startNanos = System.nanoTime();
    if (signal(node, "STOP")) {
      paused.add(node);
    }
    log.info("cluster {}: paused node {} in {} ms", name, node, millisSince(startNanos));
  }

  @Override
  public synchronized void resume(int node) {
    long startNanos = System.nanoTime();
    signal(node, "CONT");
    paused.remove(node);
    log.info("cluster {}: resumed node {} in {} ms", name, node, millisSince(startNanos));
  }

  /** Sends {@code signal} to the node's JVM; false if none runs. */
  private boolean signal(int node, String signal) {
    checkNode(node);
    return exec(node, "pkill", "-" + signal, "-f", NODE_PROCESS).exitCode() == 0;
  }

  @Override
  public synchronized void partition(Set<Integer> sideA, Set<Integer> sideB) {
    sideA.forEach(this::checkNode);
    sideB.forEach(this::checkNode);
    if (!Collections.disjoint(sideA, sideB)) {
      throw new IllegalArgumentException("a node on both sides of " + sideA + " | " + sideB);
    }
    long startNanos = System.nanoTime();
    Set<Integer> changed = new TreeSet<>();
    for (int a : sideA) {
      for (int b : sideB) {
        if (cutOff.get(a).add(b)) {
          changed.add(a);
        }
        if (cutOff.get(b).add(a)) {
          changed.add(b);
        }
      }
    }
    installRules(changed);
    log.info("cluster {}: partitioned {} | {} in {} ms", name, sideA, sideB, millisSince(startNanos));
  }

  @Override
  public synchronized void lossy(int node, double probability) {
    checkNode(node);
    if (!(probability >= 0 && probability <= 1)) {
      throw new IllegalArgumentException("probability must be in [0, 1]: " + probability);
    }
    long startNanos = System.nanoTime();
    loss[node] = probability;
    installRules(node);
    log.info("cluster {}: node {} drops {} of its packets, in {} ms", name, node, probability, millisSince(startNanos));
  }

  @Override
  public synchronized void slow(int node, int kbitPerSecond, Duration maxDelay) {
    checkNode(node);
    if (kbitPerSecond <= 0 || maxDelay.isNegative() || maxDelay.isZero()) {
      throw new IllegalArgumentException("a slow link needs a positive rate and delay: " + kbitPerSecond + " kbit/s, " + maxDelay);
    }
    long startNanos = System.nanoTime();
    Throttle t = new Throttle(kbitPerSecond, maxDelay.toMillis());
    Set<Integer> changed = new TreeSet<>();
    for (int peer = 1; peer <= size; peer++) {
      if (peer != node) {
        throttledTo.get(node).add(peer);
        throttledTo.get(peer).add(node);
        throttle[peer] = t;
        changed.add(peer);
      }
    }
    throttle[node] = t;
    changed.add(node);
    changed.parallelStream().forEach(this::installThrottle);
    log.info("cluster {}: node {}'s links slowed to {} kbit/s, queueing up to {} ms, in {} ms",
        name, node, kbitPerSecond, maxDelay.toMillis(), millisSince(startNanos));
  }

  @Override
  public synchronized void heal() {
    long startNanos = System.nanoTime();
    for (int node : List.copyOf(paused)) {
      resume(node);
    }
    Set<Integer> faulty = new TreeSet<>();
    Set<Integer> throttled = new TreeSet<>();
    for (int node = 1; node <= size; node++) {
      if (!cutOff.get(node).isEmpty() || loss[node] > 0) {
        cutOff.get(node).clear();
        loss[node] = 0;
        faulty.add(node);
      }
      if (throttle[node] != null) {
        throttledTo.get(node).clear();
        throttle[node] = null;
        throttled.add(node);
      }
    }
    installRules(faulty);
    throttled.parallelStream().forEach(this::installThrottle);
    log.info("cluster {}: healed in {} ms", name, millisSince(startNanos));
  }

  /** Installs the rules of several nodes at once: a docker exec takes 60-90 ms here. */
  private void installRules(Set<Integer> nodes) {
    nodes.parallelStream().forEach(this::installRules);
  }

  /** Replaces node {@code node}'s filter table, atomically, with the faults it should have. */
  private void installRules(int node) {
    StringBuilder rules = new StringBuilder("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    for (int peer : cutOff.get(node)) {
      rules.append("-A INPUT -s ").append(ips[peer]).append(" -j DROP\n");
      rules.append("-A OUTPUT -d ").append(ips[peer]).append(" -j DROP\n");
    }
    if (loss[node] > 0) {
      rules.append("-A INPUT -i lo -j ACCEPT\n");
      rules.append("-A INPUT -m statistic --mode random --probability ")
          .append(String.format(java.util.Locale.ROOT, "%.6f", loss[node]))
          .append(" -j DROP\n");
    }
    rules.append("COMMIT\n");
    ExecResult r = exec(node, "sh", "-c", "printf '%s' \"$0\" | iptables-restore", rules.toString());
    if (r.exitCode() != 0) {
      throw new IllegalStateException("iptables-restore on node " + node + " failed: " + r + "\n" + rules);
    }
  }

  /**
   * Replaces node {@code node}'s egress qdiscs with the throttle it should have: an htb root whose
   * default class is unlimited, and one class for the throttled peers' addresses whose token
   * bucket queues packets for up to the throttle's delay and drops the rest. This kernel has no
   * netem, so a slow link is a narrow one: delay grows with the traffic queued behind it.
   */
  private void installThrottle(int node) {
    StringBuilder script = new StringBuilder("tc qdisc del dev eth0 root 2>/dev/null; set -e\n");
    Throttle t = throttle[node];
    if (t != null && !throttledTo.get(node).isEmpty()) {
      script.append("tc qdisc add dev eth0 root handle 1: htb default 1\n")
          .append("tc class add dev eth0 parent 1: classid 1:1 htb rate 10gbit quantum 1514\n")
          .append("tc class add dev eth0 parent 1: classid 1:10 htb rate 10gbit quantum 1514\n")
          .append("tc qdisc add dev eth0 parent 1:10 handle 10: tbf rate ").append(t.kbitPerSecond())
          .append("kbit burst 4kb latency ").append(t.maxDelayMillis()).append("ms\n");
      for (int peer : throttledTo.get(node)) {
        script.append("tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst ")
            .append(ips[peer]).append("/32 flowid 1:10\n");
      }
    }
    ExecResult r = exec(node, "sh", "-c", script.toString());
    if (r.exitCode() != 0) {
      throw new IllegalStateException("tc on node " + node + " failed: " + r + "\n" + script);
    }
  }

  private record Throttle(int kbitPerSecond, long maxDelayMillis) {}

  /** Takes every free byte of node {@code node}'s {@code store} (see {@link #start(String, int, Map, long)}). */
  public synchronized void fillStore(int node, Store store) {
    checkBoundedStore();
    // dd stops at "No space left on device", which is the point.
    ExecResult r = exec(node, "sh", "-c", "dd if=/dev/zero of=" + store.filler() + " bs=1M 2>/dev/null; df -k " + store.dir());
    log.info("cluster {}: filled node {}'s {} store: {}", name, node, store, r.output());
  }

  /** Gives back what {@link #fillStore} took. */
  public synchronized void freeStore(int node, Store store) {
    checkBoundedStore();
    ExecResult r = exec(node, "rm", "-f", store.filler());
    if (r.exitCode() != 0) {
      throw new IllegalStateException("cannot free node " + node + "'s store: " + r);
    }
  }

  private void checkBoundedStore() {
    if (storeBytes == 0) {
      throw new IllegalStateException("cluster " + name + " was started without a bounded store");
    }
  }

  @Override
  public synchronized void wipe(int node) {
    if (isRunning(node)) {
      throw new IllegalStateException("kill node " + node + " before wiping it");
    }
    ExecResult r = exec(node, "find", DATA_DIR, "-mindepth", "1", "-delete");
    if (r.exitCode() != 0) {
      throw new IllegalStateException("cannot wipe node " + node + ": " + r);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (GenericContainer<?> c : containers) {
      try {
        c.stop(); // SIGKILL, then removal with its volumes; the logs are already on the host
      } catch (RuntimeException e) {
        log.warn("cluster {}: cannot remove container {}", name, c.getContainerId(), e);
      }
    }
    try {
      network.close();
    } catch (RuntimeException e) {
      log.warn("cluster {}: cannot remove network", name, e);
    }
    OPEN.remove(this);
  }

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (DockerCluster c : List.copyOf(OPEN)) {
        c.close();
      }
    }, "DockerCluster-cleanup"));
  }

  private String initialCluster() {
    return IntStream.rangeClosed(1, size)
        .mapToObj(i -> i + "=" + ips[i] + ":" + RAFT_PORT + "/" + clientAddress(i))
        .collect(Collectors.joining(","));
  }

  private GenericContainer<?> container(int node) {
    checkNode(node);
    if (closed) {
      throw new IllegalStateException("cluster " + name + " is closed");
    }
    return containers.get(node - 1);
  }

  private void checkNode(int node) {
    if (node < 1 || node > size) {
      throw new IllegalArgumentException("no node " + node + " in a cluster of " + size);
    }
  }

  /** The outcome of a command run in a node's container. */
  record ExecResult(long exitCode, String output) {}

  /** Runs {@code command} in node {@code node}'s container and waits for it, within a deadline. */
  private ExecResult exec(int node, String... command) {
    String containerId = container(node).getContainerId();
    String execId =
        docker.execCreateCmd(containerId)
            .withCmd(command)
            .withAttachStdout(true)
            .withAttachStderr(true)
            .exec()
            .getId();
    StringBuilder output = new StringBuilder();
    try (ResultCallback.Adapter<Frame> done =
        docker.execStartCmd(execId).exec(new ResultCallback.Adapter<>() {
          @Override
          public void onNext(Frame frame) {
            synchronized (output) {
              output.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
            }
          }
        })) {
      if (!done.awaitCompletion(EXEC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("node " + node + ": " + String.join(" ", command) + " did not finish within " + EXEC_TIMEOUT);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + String.join(" ", command) + " on node " + node, e);
    }
    InspectExecResponse inspected = docker.inspectExecCmd(execId).exec();
    Long exitCode = inspected.getExitCodeLong();
    synchronized (output) {
      return new ExecResult(exitCode == null ? -1 : exitCode, output.toString().strip());
    }
  }

  private static long millisSince(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  /** The containers only run {@code sleep}: running is ready. */
  private static final class Started extends AbstractWaitStrategy {
    @Override
    protected void waitUntilReady() {}
  }
}
