package io.ordo.raft.metadata;

import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ErrorCode;

/** The outcome of applying a metadata command: the topic it made, or why it was refused. */
public record MetadataResult(ErrorCode error, String message, TopicRecord topic) {
  static MetadataResult ok(TopicRecord topic) {
    return new MetadataResult(null, null, topic);
  }

  static MetadataResult refused(ErrorCode error, String message) {
    return new MetadataResult(error, message, null);
  }

  public boolean isOk() {
    return error == null;
  }
}
