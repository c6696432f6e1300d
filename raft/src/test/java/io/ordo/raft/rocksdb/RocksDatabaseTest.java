package io.ordo.raft.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyOptions;

class RocksDatabaseTest {
  private static final Path MAPS = Path.of("/proc/self/maps");

  @Test
  void leavesNoCopyOfTheNativeLibraryInTheTempDirectory(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isReadable(MAPS), "needs Linux's /proc");
    try (RocksDatabase db = RocksDatabase.open(dir, "test", new ColumnFamilyOptions(), "records")) {
      List<String> maps;
      try (Stream<String> lines = Files.lines(MAPS)) {
        maps = lines.toList();
      }
      List<String> library = maps.stream().filter(line -> line.contains("/librocksdbjni")).toList();
      assertThat(library).as("RocksDB's library is loaded").isNotEmpty();
      assertThat(library).as("its copy in the temp directory is deleted").allMatch(line -> line.endsWith(" (deleted)"));
    }
  }
}
