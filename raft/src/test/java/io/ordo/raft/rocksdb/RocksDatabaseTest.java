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
      assertThat(maps).as("RocksDB's library is loaded").anyMatch(line -> line.contains("librocksdbjni"));
      assertThat(maps.stream().map(RocksDatabase::mappedFile).filter(RocksDatabase::isExtractedLibrary))
          .as("extracted copies still on disk").isEmpty();
    }
  }
}
