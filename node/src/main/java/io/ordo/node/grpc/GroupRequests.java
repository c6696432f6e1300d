package io.ordo.node.grpc;

import io.ordo.proto.raft.v1.GroupRecord;
import io.ordo.proto.raft.v1.GroupStart;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.protocol.Names;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.MetadataView;

/** Checks every group call (stream or queue) makes before it does anything, and where a group starts reading. */
public final class GroupRequests {
  private GroupRequests() {}

  /** FEATURE_NOT_ENABLED until the cluster has finalized {@code level}; {@code what} names the feature. */
  public static void requireFeature(MetadataView view, int level, String what) {
    if (!view.hasFeature(level)) {
      throw OrdoStatus.exception(
          ErrorCode.FEATURE_NOT_ENABLED,
          what + " are not enabled yet: every node must run a version that has them (the cluster finalizes its"
              + " feature level within seconds of the last node's start)");
    }
  }

  /** INVALID_GROUP_NAME for a name no group may have. */
  static void validateGroup(String group) {
    String problem = Names.groupProblem(group);
    if (problem != null) {
      throw OrdoStatus.exception(ErrorCode.INVALID_GROUP_NAME, problem);
    }
  }

  /**
   * Where a group that starts at the latest records starts in a partition it meets for the first
   * time: at the partition's first record when the partition was added to its topic after the
   * group came to be (all of it is newer than the group: starting at its end would skip what
   * producers wrote before the group got there), else as asked.
   */
  static GroupStart startIn(MetadataView view, String group, GroupStart start, long topicId, int partition) {
    if (start != GroupStart.GROUP_START_LATEST) {
      return start;
    }
    long groupCreatedAtMs = view.group(group).map(GroupRecord::getCreatedAtMs).orElse(Long.MAX_VALUE);
    boolean addedAfterTheGroup = view.topics().values().stream()
        .filter(t -> t.getTopicId() == topicId && partition < t.getPartitionsCount())
        .anyMatch(t -> t.getPartitions(partition).getAddedAtMs() > groupCreatedAtMs);
    return addedAfterTheGroup ? GroupStart.GROUP_START_EARLIEST : start;
  }
}
