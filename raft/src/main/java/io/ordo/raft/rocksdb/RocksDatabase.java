package io.ordo.raft.rocksdb;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Env;
import org.rocksdb.Priority;
import org.rocksdb.RateLimiter;
import org.rocksdb.RateLimiterMode;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A RocksDB opened with named column families; closing it closes them and its options. */
public final class RocksDatabase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RocksDatabase.class);
  /** deploy/native's CRC32C for RocksDB, which the node's launchers preload when it was built. */
  private static final String CRC32C_LIBRARY = "libordo-rocksdb-crc32c.so";

  /**
   * The most flushes and compactions of all this process's databases write per second together (a
   * node's stores share its disk), handed out a refill period's worth at a time. Unlimited, a
   * memtable flush wrote its 64 MiB in one burst (0.1 s samples up to 1.2 GB/s over three nodes)
   * that the device queued ahead of the Raft logs' syncs: paced at 9,000 records/s, each flush
   * showed as a 100-240 ms spike of the writes' latency, every 7 s. Well above what a node's
   * memtables fill at (about 55 MB/s for 27,000 records/s unthrottled; same throughput with it).
   */
  private static final long BACKGROUND_WRITE_BYTES_PER_SECOND = 128L << 20;
  private static final long BACKGROUND_WRITE_REFILL_MICROS = 10_000;
  /** RocksDB's default: flushes go ahead of compactions but for one time in ten. */
  private static final int BACKGROUND_WRITE_FAIRNESS = 10;
  /** A flush's file is handed to the disk every so many bytes as it grows, not all at its closing sync. */
  private static final long BACKGROUND_BYTES_PER_SYNC = 1L << 20;

  static final RateLimiter BACKGROUND_WRITES;

  static {
    RocksDB.loadLibrary();
    // Flushes and compactions run at the lowest CPU priority (nice 19): a memtable flush takes a
    // core in one burst, and the threads that answer a write queued behind it (paced on 2 cores,
    // those threads already waited four times as long to run as they ran).
    Env.getDefault().lowerThreadPoolCPUPriority(Priority.HIGH).lowerThreadPoolCPUPriority(Priority.LOW);
    BACKGROUND_WRITES =
        new RateLimiter(
            BACKGROUND_WRITE_BYTES_PER_SECOND,
            BACKGROUND_WRITE_REFILL_MICROS,
            BACKGROUND_WRITE_FAIRNESS,
            RateLimiterMode.WRITES_ONLY,
            false);
    List<Path> mapped = mappedFiles();
    deleteExtractedLibrary(mapped);
    if (mapped.stream().anyMatch(file -> file.getFileName().toString().equals(CRC32C_LIBRARY))) {
      LOG.info("RocksDB computes its checksums (CRC32C) with SSE4.2: {} is preloaded", CRC32C_LIBRARY);
    } else {
      LOG.info("RocksDB computes its checksums (CRC32C) in software, using more CPU: {} is not preloaded"
          + " (bin/ordo-node and the image preload it when the build had a C compiler)", CRC32C_LIBRARY);
    }
  }

  /** The files this process maps (/proc/self/maps), none where that cannot be read. */
  private static List<Path> mappedFiles() {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return List.of();
    }
    try (Stream<String> lines = Files.lines(maps)) {
      return lines.map(RocksDatabase::mappedFile).filter(Objects::nonNull).distinct().toList();
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  /**
   * Deletes the copy of RocksDB's native library that loading it extracted into the temp directory
   * (Linux keeps a loaded file mapped after it is deleted). RocksDB deletes its copy only at a
   * clean exit, so every killed JVM left 14 MB behind: 1,300 of them filled a test machine's disk.
   */
  private static void deleteExtractedLibrary(List<Path> mapped) {
    try {
      for (Path extracted : mapped.stream().filter(RocksDatabase::isExtractedLibrary).toList()) {
        Files.deleteIfExists(extracted);
      }
    } catch (IOException | RuntimeException e) {
      // Only disk space is at stake; the library is loaded.
    }
  }

  /** The file a line of /proc/self/maps maps ("address perms offset dev inode path"), or null. */
  private static Path mappedFile(String mapsLine) {
    int slash = mapsLine.indexOf('/');
    return slash < 0 || mapsLine.endsWith(" (deleted)") ? null : Path.of(mapsLine.substring(slash));
  }

  /** A copy RocksDB extracted: librocksdbjni*.so in the temp directory. */
  private static boolean isExtractedLibrary(Path file) {
    if (file.getParent() == null) {
      return false;
    }
    String name = file.getFileName().toString();
    return name.startsWith("librocksdbjni") && name.endsWith(".so") && file.getParent().equals(tempDirectory());
  }

  /** The temp directory as /proc/self/maps names its files: symbolic links resolved. */
  private static Path tempDirectory() {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
    try {
      return tmp.toRealPath();
    } catch (IOException e) {
      return tmp;
    }
  }

  private final DBOptions dbOptions;
  private final ColumnFamilyOptions familyOptions;
  private final List<ColumnFamilyHandle> handles;
  private final RocksDB db;

  private RocksDatabase(
      DBOptions dbOptions, ColumnFamilyOptions familyOptions, List<ColumnFamilyHandle> handles, RocksDB db) {
    this.dbOptions = dbOptions;
    this.familyOptions = familyOptions;
    this.handles = handles;
    this.db = db;
  }

  /**
   * Opens, creating what is missing, the database in {@code dir} with the default column family
   * and {@code families}, all with {@code familyOptions}, which the database then owns. {@code
   * what} names it in errors.
   */
  public static RocksDatabase open(Path dir, String what, ColumnFamilyOptions familyOptions, String... families)
      throws IOException {
    return open(dir, what, new DBOptions(), familyOptions, families);
  }

  /** As {@link #open(Path, String, ColumnFamilyOptions, String...)}, with {@code dbOptions}, which the database owns. */
  public static RocksDatabase open(
      Path dir, String what, DBOptions dbOptions, ColumnFamilyOptions familyOptions, String... families)
      throws IOException {
    dbOptions
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setRateLimiter(BACKGROUND_WRITES)
        .setBytesPerSync(BACKGROUND_BYTES_PER_SYNC);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, familyOptions));
    for (String family : families) {
      descriptors.add(new ColumnFamilyDescriptor(family.getBytes(StandardCharsets.UTF_8), familyOptions));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      return new RocksDatabase(dbOptions, familyOptions, handles, RocksDB.open(dbOptions, dir.toString(), descriptors, handles));
    } catch (RocksDBException | IOException e) {
      familyOptions.close();
      dbOptions.close();
      throw new IOException("cannot open the " + what + " in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether files in {@code dir} (created if missing) can be written with O_DIRECT, as RocksDB
   * would: an aligned block written to a probe file, then deleted. Not every file system takes it
   * (tmpfs before Linux 6.6 refused the open; some refuse only the write), and a database whose
   * flushes cannot write stops taking writes, so a database asks before it opts in.
   */
  public static boolean directIoWorks(Path dir) {
    Path probe = dir.resolve(".direct-io-probe");
    try {
      Files.createDirectories(dir);
      int block = Math.toIntExact(Files.getFileStore(dir).getBlockSize());
      ByteBuffer aligned = ByteBuffer.allocateDirect(2 * block).alignedSlice(block);
      aligned.limit(block);
      try (FileChannel file =
          FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT)) {
        file.write(aligned, 0);
      }
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.info("files in {} are written through the page cache: O_DIRECT does not work there ({})", dir, e.toString());
      return false;
    } finally {
      try {
        Files.deleteIfExists(probe);
      } catch (IOException e) {
        // A few bytes left behind; the next probe overwrites them.
      }
    }
  }

  public RocksDB db() {
    return db;
  }

  /**
   * A RocksDB integer property ("rocksdb.total-sst-files-size", ...) summed over the column
   * families; -1 if RocksDB cannot tell. Not to be called once the database is closed.
   */
  public long property(String name) {
    try {
      return db.getAggregatedLongProperty(name);
    } catch (RocksDBException e) {
      return -1;
    }
  }

  /** {@link #property(String)} of one column family. */
  public long property(ColumnFamilyHandle family, String name) {
    try {
      return db.getLongProperty(family, name);
    } catch (RocksDBException e) {
      return -1;
    }
  }

  /** Every column family's handle, the default one first. */
  public List<ColumnFamilyHandle> families() {
    return List.copyOf(handles);
  }

  /** The handle of {@code families[index]} as given to {@link #open}. */
  public ColumnFamilyHandle family(int index) {
    return handles.get(index + 1);
  }

  @Override
  public void close() {
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    familyOptions.close();
    dbOptions.close();
  }
}
