package io.ordo.raft.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.FlushOptions;

class RocksDatabaseTest {
  private static final Path MAPS = Path.of("/proc/self/maps");
  private static final Path TASKS = Path.of("/proc/self/task");

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

  @Test
  void flushesAndCompactionsRunAtTheLowestCpuPriority(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isDirectory(TASKS), "needs Linux's /proc");
    try (RocksDatabase db = RocksDatabase.open(dir, "test", new ColumnFamilyOptions(), "records");
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      // Two overlapping tables, so that compacting them is a job for the compaction pool.
      for (int table = 0; table < 2; table++) {
        db.db().put(db.family(0), "a".getBytes(), new byte[] {(byte) table});
        db.db().put(db.family(0), "z".getBytes(), new byte[] {(byte) table});
        db.db().flush(flush, db.family(0));
      }
      db.db().compactRange(db.family(0));
    }
    // A pool's thread lowers its own priority as it takes a job: the ones that ran these did.
    assertThat(nicenessOfThreads("rocksdb:high")).as("flush threads' nice values").contains(19);
    assertThat(nicenessOfThreads("rocksdb:low")).as("compaction threads' nice values").contains(19);
  }

  @Test
  void flushesWriteThroughTheProcessWideRateLimiterBlobFilesIncluded(@TempDir Path dir) throws Exception {
    int values = 4096;
    int valueBytes = 1024;
    ColumnFamilyOptions blobs = new ColumnFamilyOptions().setEnableBlobFiles(true).setMinBlobSize(valueBytes);
    long before = RocksDatabase.BACKGROUND_WRITES.getTotalBytesThrough();
    try (RocksDatabase db = RocksDatabase.open(dir, "test", blobs, "records");
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      SplittableRandom random = new SplittableRandom(1);
      for (int i = 0; i < values; i++) {
        byte[] value = new byte[valueBytes];
        random.nextBytes(value);
        db.db().put(db.family(0), ("key-" + i).getBytes(), value);
      }
      db.db().flush(flush, db.family(0));
    }
    // The values went to a blob file, the keys to a table: both written under the limiter.
    assertThat(RocksDatabase.BACKGROUND_WRITES.getTotalBytesThrough() - before)
        .as("bytes the flush wrote through the rate limiter")
        .isGreaterThanOrEqualTo((long) values * valueBytes);
  }

  @Test
  void directIoProbeSaysNoWhereItCannotWriteAndLeavesNothingWhereItCan(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
    assertThat(RocksDatabase.directIoWorks(file.resolve("db"))).isFalse();
    RocksDatabase.directIoWorks(dir.resolve("db"));
    try (Stream<Path> left = Files.list(dir.resolve("db"))) {
      assertThat(left).as("the probe's file is gone").isEmpty();
    }
  }

  /** The nice value of each of this process's threads named {@code name}. */
  private static List<Integer> nicenessOfThreads(String name) throws Exception {
    try (Stream<Path> tasks = Files.list(TASKS)) {
      return tasks.filter(task -> read(task.resolve("comm")).strip().equals(name))
          .map(task -> read(task.resolve("stat")))
          .filter(stat -> !stat.isEmpty())
          // After "pid (comm) ", field 19 (nice) is the 17th.
          .map(stat -> Integer.parseInt(stat.substring(stat.lastIndexOf(") ") + 2).split(" ")[16]))
          .toList();
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return ""; // the thread ended
    }
  }
}
