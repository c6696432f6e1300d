package io.ordo.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * deploy/native's CRC32C for RocksDB, as the distribution builds it: RocksDB running with it
 * preloaded writes what RocksDB without it reads, and the other way round, through every
 * checksum a node's stores have (write-ahead log, manifest, table blocks, blob records); and a
 * preloaded function really is the one RocksDB calls, which a rocksdbjni upgrade could silently
 * change: with a planted one that gets every checksum wrong, a store written correctly no longer
 * opens. Each RocksDB with a preload runs in a JVM of its own ({@link Store}).
 *
 * <p>Skipped where the build made no library (no C compiler, not x86-64), failed instead when
 * {@code CI=true}.
 */
class RocksDbCrc32cTest {
  private static final Path HOME = Path.of(System.getProperty("ordo.home", "..")).toAbsolutePath().normalize();
  private static final Path LIBRARY = HOME.resolve("deploy/target/ordo/lib/libordo-rocksdb-crc32c.so");
  private static final int RECORDS = 20_000;
  /** The first records are flushed to a table and blob file, the rest stay in the write-ahead log. */
  private static final int FLUSHED = 15_000;
  private static final int VALUE_SIZE = 1_024;
  private static final long CHILD_TIMEOUT_SECONDS = 120;

  @TempDir static Path work;

  @BeforeAll
  static void libraryBuilt() {
    if (!"true".equals(System.getenv("CI"))) {
      assumeTrue(Files.isRegularFile(LIBRARY), LIBRARY + " was not built (no C compiler?)");
    }
    assertThat(LIBRARY).as("the deploy module's build makes it where a C compiler is (CI installs gcc)").isRegularFile();
  }

  @Test
  void whatRocksDbWritesWithTheLibraryItReadsWithoutIt() throws Exception {
    Path dir = work.resolve("written-with");
    assertThat(runStore(LIBRARY, "write", dir)).contains("preloaded: true");
    Store.read(dir);
  }

  @Test
  void whatRocksDbWritesWithoutTheLibraryItReadsWithIt() throws Exception {
    Path dir = work.resolve("written-without");
    Store.write(dir);
    assertThat(runStore(LIBRARY, "read", dir)).contains("preloaded: true").contains("read " + RECORDS);
  }

  @Test
  void rocksDbCallsThePreloadedFunction() throws Exception {
    Path dir = work.resolve("written-for-a-wrong-checksum");
    Store.write(dir);
    Path zero = compile("zero-crc32c");
    Store.Result result = Store.run(zero, "read", dir);
    assertThat(result.exitCode()).as(result.output()).isNotZero();
    assertThat(result.output()).containsIgnoringCase("checksum mismatch");
  }

  private static String runStore(Path preload, String mode, Path dir) throws Exception {
    Store.Result result = Store.run(preload, mode, dir);
    assertThat(result.exitCode()).as(result.output()).isZero();
    return result.output();
  }

  /** Builds src/test/resources/native/NAME.c with deploy/native/build.sh, which builds the real one. */
  private static Path compile(String name) throws Exception {
    Path source = work.resolve(name + ".c");
    try (InputStream in = RocksDbCrc32cTest.class.getResourceAsStream("/native/" + name + ".c")) {
      Files.copy(in, source);
    }
    Process build = new ProcessBuilder(
            "bash", HOME.resolve("deploy/native/build.sh").toString(), work.toString(), source.toString())
        .redirectErrorStream(true)
        .start();
    String output = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(build.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(build.exitValue()).as(output).isZero();
    Path library = work.resolve("libordo-" + name + ".so");
    assertThat(library).as(output).isRegularFile();
    return library;
  }

  /** A RocksDB store with the options whose checksums matter here; {@link #main} runs it in a JVM of its own. */
  static final class Store {
    record Result(int exitCode, String output) {}

    static Result run(Path preload, String mode, Path dir) throws IOException, InterruptedException {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), Store.class.getName(), mode, dir.toString()));
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().put("LD_PRELOAD", preload.toString());
      Process child = builder.start();
      String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!child.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        child.destroyForcibly();
        throw new AssertionError("the store's JVM did not finish: " + output);
      }
      return new Result(child.exitValue(), output);
    }

    public static void main(String[] args) throws Exception {
      Path dir = Path.of(args[1]);
      System.out.println("preloaded: " + Files.readString(Path.of("/proc/self/maps")).contains(LIBRARY.getFileName().toString()));
      if (args[0].equals("write")) {
        write(dir);
      } else {
        System.out.println("read " + read(dir));
      }
    }

    private static Options options() {
      return new Options()
          .setCreateIfMissing(true)
          .setParanoidChecks(true)
          .setEnableBlobFiles(true)
          .setMinBlobSize(VALUE_SIZE / 2);
    }

    static void write(Path dir) throws RocksDBException {
      RocksDB.loadLibrary();
      try (Options options = options();
          RocksDB db = RocksDB.open(options, dir.toString());
          WriteOptions write = new WriteOptions();
          FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
        for (int i = 0; i < RECORDS; i++) {
          db.put(write, key(i), value(i));
          if (i == FLUSHED - 1) {
            db.flush(flush);
          }
        }
      }
    }

    /** Opens the store (replaying its log), verifies every table and reads every record back. */
    static int read(Path dir) throws RocksDBException {
      RocksDB.loadLibrary();
      int read = 0;
      try (Options options = options();
          RocksDB db = RocksDB.open(options, dir.toString());
          ReadOptions reads = new ReadOptions().setVerifyChecksums(true)) {
        db.verifyChecksum();
        try (RocksIterator it = db.newIterator(reads)) {
          for (it.seekToFirst(); it.isValid(); it.next()) {
            int i = Integer.parseInt(new String(it.key(), StandardCharsets.UTF_8).substring(1));
            if (!Arrays.equals(it.value(), value(i))) {
              throw new IllegalStateException("record " + i + " read back wrong");
            }
            read++;
          }
          it.status();
        }
      }
      if (read != RECORDS) {
        throw new IllegalStateException(read + " records read back, not " + RECORDS);
      }
      return read;
    }

    private static byte[] key(int i) {
      return String.format("k%06d", i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(int i) {
      byte[] value = new byte[VALUE_SIZE];
      for (int b = 0; b < value.length; b++) {
        value[b] = (byte) (i * 31 + b);
      }
      return value;
    }
  }
}
