package io.ordo.raft.snapshot;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A group's state machine whose state a follower installs as one file, exported on demand by
 * {@link ExportingSnapshotStorage}.
 */
public interface SnapshotSource {
  /** The name of the exported file in a snapshot a follower installs. */
  String snapshotFileName();

  /**
   * Writes the group's state as it is now, at or past its last snapshot's index, to {@code file},
   * synced; off the caller's thread (a large partition takes seconds).
   */
  CompletableFuture<Void> exportTo(Path file);
}
