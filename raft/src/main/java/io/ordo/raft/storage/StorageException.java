package io.ordo.raft.storage;

/** The data store failed: a disk error or corrupt data. The replica that sees it must stop. */
public final class StorageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The message ends with the cause's (RocksDB's, e.g. "No space left on device"), for a person. */
  public StorageException(String message, Throwable cause) {
    super(cause.getMessage() == null ? message : message + ": " + cause.getMessage(), cause);
  }

  public StorageException(String message) {
    super(message);
  }
}
