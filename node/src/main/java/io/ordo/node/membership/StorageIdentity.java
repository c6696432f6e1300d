package io.ordo.node.membership;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import java.util.UUID;

/**
 * What a node's data directory is: the node it belongs to, a storage id given when it was first
 * used, the incarnation the node runs its Raft replicas as on it (once it has), and the cluster's
 * id (once the node learned it). Kept in {@code identity.properties}, replaced atomically.
 *
 * <p>A data directory without one but with Raft data is from a version before identities: it is
 * taken as incarnation 0 of a running cluster. One with neither is new, and the node must find out
 * whether its cluster runs before it starts a replica on it (see {@link NewStorage}).
 */
public final class StorageIdentity {
  static final String FILE = "identity.properties";

  private final Path file;
  private final int nodeId;
  private final String storageId;
  private volatile Integer incarnation;
  private volatile String clusterId;

  private StorageIdentity(Path file, int nodeId, String storageId, Integer incarnation, String clusterId) {
    this.file = file;
    this.nodeId = nodeId;
    this.storageId = storageId;
    this.incarnation = incarnation;
    this.clusterId = clusterId;
  }

  /**
   * Reads the identity of {@code dataDir}, or gives it one; refuses a directory of another node.
   */
  public static StorageIdentity open(Path dataDir, int nodeId) {
    Path file = dataDir.resolve(FILE);
    try {
      Files.createDirectories(dataDir);
      if (!Files.exists(file)) {
        // Each group's directory under raft/ is made when it first starts.
        boolean hasRaftData = Files.exists(dataDir.resolve("raft"));
        StorageIdentity fresh = new StorageIdentity(file, nodeId, UUID.randomUUID().toString(), hasRaftData ? 0 : null, "");
        fresh.save();
        return fresh;
      }
      Properties p = new Properties();
      try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(in);
      }
      int owner = Integer.parseInt(p.getProperty("node-id", "-1"));
      if (owner != nodeId) {
        throw new IllegalStateException(
            "data directory " + dataDir + " belongs to node " + owner + ", not node " + nodeId + "; give this node a directory of its own");
      }
      String incarnation = p.getProperty("incarnation");
      return new StorageIdentity(
          file, nodeId, p.getProperty("storage-id"), incarnation == null ? null : Integer.parseInt(incarnation), p.getProperty("cluster-id", ""));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + file, e);
    }
  }

  public String storageId() {
    return storageId;
  }

  /** Whether the node has run its replicas on this directory (so it has an incarnation). */
  public boolean started() {
    return incarnation != null;
  }

  /** The incarnation the node runs as on this directory; only once {@link #started()}. */
  public int incarnation() {
    if (incarnation == null) {
      throw new IllegalStateException("no replica has run on this data directory yet");
    }
    return incarnation;
  }

  /** The cluster's id, or empty if this node has not learned it yet. */
  public String clusterId() {
    return clusterId;
  }

  /** Records, before any replica starts, the incarnation they run as. */
  public synchronized void start(int incarnation) {
    this.incarnation = incarnation;
    save();
  }

  /** Records the cluster's id the first time the node learns it. */
  public synchronized void learnClusterId(String id) {
    if (id.isEmpty() || id.equals(clusterId)) {
      return;
    }
    clusterId = id;
    save();
  }

  private void save() {
    Properties p = new Properties();
    p.setProperty("node-id", Integer.toString(nodeId));
    p.setProperty("storage-id", storageId);
    if (incarnation != null) {
      p.setProperty("incarnation", Integer.toString(incarnation));
    }
    if (!clusterId.isEmpty()) {
      p.setProperty("cluster-id", clusterId);
    }
    Path temp = file.resolveSibling(FILE + ".new");
    try {
      try (Writer out = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
        p.store(out, "Ordo data directory identity: do not copy it to another node's directory");
      }
      fsync(temp);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      fsync(file.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static void fsync(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, Files.isDirectory(path) ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
      channel.force(true);
    }
  }
}
