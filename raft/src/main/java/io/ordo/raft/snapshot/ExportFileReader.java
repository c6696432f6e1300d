package io.ordo.raft.snapshot;

import com.alipay.sofa.jraft.entity.LocalFileMetaOutter.LocalFileMeta;
import com.alipay.sofa.jraft.entity.RaftOutter.SnapshotMeta;
import com.alipay.sofa.jraft.error.RetryAgainException;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.storage.snapshot.Snapshot;
import com.alipay.sofa.jraft.storage.snapshot.local.LocalSnapshotMetaTable;
import com.alipay.sofa.jraft.storage.snapshot.local.SnapshotFileReader;
import com.alipay.sofa.jraft.util.ByteBufferCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.commons.io.FileUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a follower the snapshot's meta and one file exported for its copy, read by offset as jraft
 * reads any snapshot file. Until the export is written, a read of the file is answered "try again"
 * (jraft's copier retries those without counting them as failures).
 */
final class ExportFileReader extends SnapshotFileReader {
  private static final Logger LOG = LoggerFactory.getLogger(ExportFileReader.class);

  private final Path dir;
  private final CompletableFuture<Void> exported;

  private ExportFileReader(Path dir, LocalSnapshotMetaTable metaTable, CompletableFuture<Void> exported) {
    super(dir.toString(), null);
    this.dir = dir;
    this.exported = exported;
    setMetaTable(metaTable);
  }

  /** Starts exporting {@code source}'s state to a new directory in {@code exportDir}. */
  static ExportFileReader start(SnapshotMeta meta, RaftOptions raftOptions, SnapshotSource source, Path exportDir)
      throws IOException {
    Files.createDirectories(exportDir);
    Path dir = Files.createTempDirectory(exportDir, "index-" + meta.getLastIncludedIndex() + "-");
    LocalSnapshotMetaTable metaTable = new LocalSnapshotMetaTable(raftOptions);
    metaTable.setMeta(meta);
    metaTable.addFile(source.snapshotFileName(), LocalFileMeta.getDefaultInstance());
    return new ExportFileReader(dir, metaTable, source.exportTo(dir.resolve(source.snapshotFileName())));
  }

  @Override
  public int readFile(ByteBufferCollector buf, String fileName, long offset, long maxCount)
      throws IOException, RetryAgainException {
    if (!fileName.equals(Snapshot.JRAFT_SNAPSHOT_META_FILE)) {
      if (!exported.isDone()) {
        throw new RetryAgainException("snapshot file " + fileName + " is still being exported");
      }
      try {
        exported.join();
      } catch (CompletionException e) {
        throw new IOException("exporting snapshot file " + fileName + " failed: " + e.getCause().getMessage(), e);
      }
    }
    return super.readFile(buf, fileName, offset, maxCount);
  }

  /** Deletes the export, once written if it is still being written. */
  void close() {
    exported.whenComplete(
        (done, error) -> {
          try {
            FileUtils.deleteDirectory(dir.toFile());
          } catch (IOException e) {
            LOG.warn("cannot delete snapshot export {}", dir, e);
          }
        });
  }
}
