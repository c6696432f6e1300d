package io.ordo.node.grpc;

import io.ordo.proto.v1.ErrorCode;
import io.ordo.protocol.Names;
import io.ordo.protocol.OrdoStatus;
import io.ordo.raft.metadata.MetadataView;

/** Checks every group call (stream or queue) makes before it does anything. */
final class GroupRequests {
  private GroupRequests() {}

  /** FEATURE_NOT_ENABLED until the cluster has finalized {@code level}; {@code what} names the feature. */
  static void requireFeature(MetadataView view, int level, String what) {
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
}
