package io.ordo.raft.rocksdb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The options a RocksDB database was last opened with, as it writes them beside its data. */
public final class OptionsFile {
  private OptionsFile() {}

  /** The text of the newest OPTIONS-NNNNNN file in {@code dir}. */
  public static String newest(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      Path newest = files
          .filter(f -> f.getFileName().toString().startsWith("OPTIONS-"))
          .max(Comparator.comparing(f -> f.getFileName().toString()))
          .orElseThrow(() -> new AssertionError("no OPTIONS file in " + dir));
      return Files.readString(newest);
    }
  }
}
