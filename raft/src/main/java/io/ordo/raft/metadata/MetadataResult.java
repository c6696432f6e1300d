package io.ordo.raft.metadata;

import io.ordo.proto.raft.v1.TopicRecord;
import io.ordo.proto.v1.ErrorCode;

/**
 * The outcome of applying a metadata command: the topic it made, or how many things it changed
 * (ACLs removed), or why it was refused.
 */
public record MetadataResult(ErrorCode error, String message, TopicRecord topic, int changed) {
  static MetadataResult ok(TopicRecord topic) {
    return new MetadataResult(null, null, topic, 0);
  }

  static MetadataResult changed(int count) {
    return new MetadataResult(null, null, null, count);
  }

  static MetadataResult refused(ErrorCode error, String message) {
    return new MetadataResult(error, message, null, 0);
  }

  public boolean isOk() {
    return error == null;
  }
}
