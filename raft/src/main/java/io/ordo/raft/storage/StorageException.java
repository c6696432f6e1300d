package io.ordo.raft.storage;

/** The data store failed: a disk error or corrupt data. The replica that sees it must stop. */
public final class StorageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }

  public StorageException(String message) {
    super(message);
  }
}
