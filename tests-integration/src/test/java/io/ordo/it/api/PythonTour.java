package io.ordo.it.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.it.cluster.DockerCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * examples/python/tour.py, the Python client written from the .proto files alone (Debian's protoc,
 * grpc_python_plugin and python3-grpcio), with its code generated from the .proto files first.
 */
final class PythonTour {
  private static final Path HOME = Path.of(System.getProperty("ordo.home", "..")).toAbsolutePath().normalize();
  /** Debian's interpreter: apt installs python3-grpcio for it, not for one a version manager put first. */
  private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  private static final long TOUR_TIMEOUT_S = 300;

  private PythonTour() {}

  /**
   * The tour's output against {@code nodes} (host:port,...), with {@code env} (ORDO_TLS_CA,
   * ORDO_USER, ORDO_PASSWORD_FILE for a secured cluster), followed by "exit N"; skips the test
   * without the tools.
   */
  static String run(String nodes, Map<String, String> env) throws Exception {
    requireTools();
    Path generated = Path.of("target", "python-client").toAbsolutePath();
    Files.createDirectories(generated);
    List<String> protoc = new ArrayList<>(List.of(
        "protoc", "-I", HOME.resolve("proto/src/main/proto").toString(),
        "--python_out=" + generated, "--grpc_python_out=" + generated,
        "--plugin=protoc-gen-grpc_python=" + onPath("grpc_python_plugin").orElseThrow()));
    try (Stream<Path> files = Files.list(HOME.resolve("proto/src/main/proto/ordo/v1"))) {
      files.filter(f -> f.toString().endsWith(".proto")).map(Path::toString).sorted().forEach(protoc::add);
    }
    assertThat(run(protoc, Map.of(), 60)).endsWith("exit 0");
    Map<String, String> tourEnv = new HashMap<>(env);
    tourEnv.put("PYTHONPATH", generated.toString());
    return run(List.of(PYTHON, HOME.resolve("examples/python/tour.py").toString(), nodes), tourEnv, TOUR_TIMEOUT_S);
  }

  /** Skips the test without the tools, or fails it when {@code CI=true} (.ci/run installs them). */
  private static void requireTools() throws Exception {
    List<String> missing = new ArrayList<>();
    if (onPath("protoc").isEmpty()) {
      missing.add("protoc (protobuf-compiler)");
    }
    if (onPath("grpc_python_plugin").isEmpty()) {
      missing.add("grpc_python_plugin (protobuf-compiler-grpc)");
    }
    if (!run(List.of(PYTHON, "-c", "import grpc"), Map.of(), 30).endsWith("exit 0")) {
      missing.add("python3's grpc module (python3-grpcio)");
    }
    if (!missing.isEmpty()) {
      DockerCluster.unavailable("the Python client needs " + String.join(", ", missing));
    }
  }

  private static Optional<Path> onPath(String tool) {
    return Stream.of(System.getenv("PATH").split(":"))
        .map(dir -> Path.of(dir, tool))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /** Runs {@code command}; its output (stdout and stderr) followed by "exit N", or "timed out". */
  private static String run(List<String> command, Map<String, String> env, long timeoutS) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Path log = Files.createTempFile("any-language", ".log");
    Process process = builder.redirectOutput(log.toFile()).start();
    try {
      boolean done = process.waitFor(timeoutS, TimeUnit.SECONDS);
      if (!done) {
        process.destroyForcibly().waitFor();
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      System.out.println(String.join(" ", command) + "\n" + output);
      return output + (done ? "exit " + process.exitValue() : "timed out after " + timeoutS + " s");
    } finally {
      Files.delete(log);
    }
  }
}
