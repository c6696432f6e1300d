package io.ordo.raft.snapshot;

import com.alipay.sofa.jraft.entity.RaftOutter.SnapshotMeta;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.storage.FileService;
import com.alipay.sofa.jraft.storage.snapshot.local.LocalSnapshotReader;
import com.alipay.sofa.jraft.storage.snapshot.local.LocalSnapshotStorage;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.Utils;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local snapshot as jraft's own reader sees it, except for a follower's copy: that is served by
 * an {@link ExportFileReader} of the state as it is when the copy begins. A {@link
 * LocalSnapshotReader} still, as jraft's copier casts the reader it opens to one.
 */
final class ExportingSnapshotReader extends LocalSnapshotReader {
  private static final Logger LOG = LoggerFactory.getLogger(ExportingSnapshotReader.class);

  private final RaftOptions raftOptions;
  private final Endpoint serverAddr;
  private final SnapshotSource source;
  private final Path exportDir;
  /** Registered with jraft's FileService while a follower may copy; 0 before and after. */
  private long readerId;
  private ExportFileReader export;

  ExportingSnapshotReader(
      LocalSnapshotStorage storage, RaftOptions raftOptions, Endpoint serverAddr, String path, SnapshotSource source,
      Path exportDir) {
    super(storage, null, serverAddr, raftOptions, path);
    this.raftOptions = raftOptions;
    this.serverAddr = serverAddr;
    this.source = source;
    this.exportDir = exportDir;
  }

  @Override
  public synchronized String generateURIForCopy() {
    if (serverAddr == null || serverAddr.equals(new Endpoint(Utils.IP_ANY, 0))) {
      LOG.error("snapshot {}: no address to serve a copy from", getPath());
      return null;
    }
    if (readerId == 0) {
      SnapshotMeta meta = load();
      if (meta == null) {
        LOG.error("snapshot {}: no meta", getPath());
        return null;
      }
      try {
        export = ExportFileReader.start(meta, raftOptions, source, exportDir);
      } catch (IOException e) {
        LOG.error("snapshot {}: cannot start an export in {}", getPath(), exportDir, e);
        return null;
      }
      readerId = FileService.getInstance().addReader(export);
    }
    return REMOTE_SNAPSHOT_URI_SCHEME + serverAddr + "/" + readerId;
  }

  @Override
  public synchronized void close() throws IOException {
    if (readerId != 0) {
      FileService.getInstance().removeReader(readerId);
      readerId = 0;
      export.close();
    }
    super.close();
  }
}
