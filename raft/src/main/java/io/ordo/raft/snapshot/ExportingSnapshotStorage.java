package io.ordo.raft.snapshot;

import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotReader;
import com.alipay.sofa.jraft.storage.snapshot.local.LocalSnapshotStorage;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.Utils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.commons.io.FileUtils;

/**
 * jraft's local snapshot storage, whose snapshots, when a follower copies one, hold a file the
 * group's {@link SnapshotSource} exports at that moment into {@code exportDir} (deleted once the
 * copy ends) rather than files the local snapshot keeps.
 */
public final class ExportingSnapshotStorage extends LocalSnapshotStorage {
  private final RaftOptions raftOptions;
  private final SnapshotSource source;
  private final Path exportDir;
  private volatile Endpoint serverAddr;

  /** Leftover exports in {@code exportDir} (a node stopped during a copy) are deleted here. */
  public ExportingSnapshotStorage(
      String path, String tempPath, RaftOptions raftOptions, SnapshotSource source, Path exportDir) {
    super(path, tempPath, raftOptions);
    this.raftOptions = raftOptions;
    this.source = source;
    this.exportDir = exportDir;
    try {
      FileUtils.deleteDirectory(exportDir.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + exportDir, e);
    }
  }

  @Override
  public void setServerAddr(Endpoint addr) {
    super.setServerAddr(addr);
    this.serverAddr = addr;
  }

  @Override
  public SnapshotReader open() {
    // jraft's open holds the snapshot (it is not deleted while read); the reader returned in its
    // place lets go of it when closed, as jraft's would.
    SnapshotReader local = super.open();
    if (local == null) {
      return null;
    }
    ExportingSnapshotReader reader =
        new ExportingSnapshotReader(this, raftOptions, serverAddr, local.getPath(), source, exportDir);
    if (!reader.init(null)) {
      Utils.closeQuietly(local);
      return null;
    }
    return reader;
  }
}
