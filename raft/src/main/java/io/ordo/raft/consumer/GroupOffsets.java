package io.ordo.raft.consumer;

import io.ordo.proto.raft.v1.ClaimPartition;
import io.ordo.proto.raft.v1.CommitOffset;
import io.ordo.proto.raft.v1.DeleteGroupOffset;
import io.ordo.proto.raft.v1.GroupOffset;
import io.ordo.proto.raft.v1.GroupStart;
import io.ordo.proto.raft.v1.ResetGroupOffset;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.SpecialOffset;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.storage.PartitionWrites;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The stream groups of one partition: per group, the committed offset (the next offset the group
 * reads) and the owner, the member that may commit it and the generation it was given the
 * partition in.
 *
 * <ul>
 *   <li>A claim takes the partition for a member if its generation is not older than the owner's;
 *       a group's first claim starts it at the log's start or end, as the claim asks.
 *   <li>Only the owner commits, and only forward, up to the log's end: a committed offset never
 *       goes back except by an administrator's reset, and a zombie (a member whose partition was
 *       claimed in a later generation) is refused.
 * </ul>
 *
 * <p>Called only on the apply thread, through the partition's state machine.
 */
public final class GroupOffsets {
  /** Stream groups a partition keeps offsets for. */
  public static final int MAX_GROUPS = 10_000;

  private final Map<String, GroupOffset> groups = new HashMap<>();

  public GroupOffsets(List<GroupOffset> initial) {
    reset(initial);
  }

  /** Replaces every group with {@code installed} (a snapshot, or the store after a restart). */
  public void reset(List<GroupOffset> installed) {
    groups.clear();
    installed.forEach(g -> groups.put(g.getGroup(), g));
  }

  public OpResult claim(ClaimPartition op, long startOffset, long nextOffset, long now, PartitionWrites writes) {
    GroupOffset current = groups.get(op.getGroup());
    if (current == null && groups.size() >= MAX_GROUPS) {
      return new OpResult.Refused(
          ErrorCode.LIMIT_REACHED, "the partition keeps offsets for " + MAX_GROUPS + " groups at most");
    }
    if (current != null && !mayClaim(current, op)) {
      return stale(op.getGroup(), op.getMemberId(), op.getGeneration(), current);
    }
    long committed =
        current != null ? current.getCommittedOffset()
            : op.getStart() == GroupStart.GROUP_START_LATEST ? nextOffset : startOffset;
    return put(
        GroupOffset.newBuilder()
            .setGroup(op.getGroup())
            .setCommittedOffset(committed)
            .setOwnerMemberId(op.getMemberId())
            .setOwnerGeneration(op.getGeneration())
            .setUpdatedAtMs(now)
            .build(),
        writes);
  }

  private static boolean mayClaim(GroupOffset current, ClaimPartition op) {
    return op.getGeneration() > current.getOwnerGeneration()
        || (op.getGeneration() == current.getOwnerGeneration() && op.getMemberId().equals(current.getOwnerMemberId()));
  }

  public OpResult commit(CommitOffset op, long nextOffset, long now, PartitionWrites writes) {
    GroupOffset current = groups.get(op.getGroup());
    if (current == null) {
      return new OpResult.Refused(
          ErrorCode.UNKNOWN_MEMBER,
          "group '" + op.getGroup() + "' has no owner of this partition: claim it before committing");
    }
    if (!op.getMemberId().equals(current.getOwnerMemberId()) || op.getGeneration() != current.getOwnerGeneration()) {
      return stale(op.getGroup(), op.getMemberId(), op.getGeneration(), current);
    }
    if (op.getOffset() < current.getCommittedOffset() || op.getOffset() > nextOffset) {
      return new OpResult.Refused(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          "offset " + op.getOffset() + " is outside [" + current.getCommittedOffset() + ", " + nextOffset
              + "]: a commit moves group '" + op.getGroup() + "' forward from its committed offset, up to the log's"
              + " end (to move it back, reset the group's offsets)");
    }
    return put(current.toBuilder().setCommittedOffset(op.getOffset()).setUpdatedAtMs(now).build(), writes);
  }

  /**
   * Moves the group's offset anywhere in the log; the group need not exist. The owner loses the
   * partition (its commits are refused from here on, so it cannot undo the reset): a member must
   * claim it again, in a later generation.
   */
  public OpResult reset(ResetGroupOffset op, long startOffset, long nextOffset, long now, PartitionWrites writes) {
    long offset =
        op.getOffset() == SpecialOffset.EARLIEST_VALUE ? startOffset
            : op.getOffset() == SpecialOffset.LATEST_VALUE ? nextOffset : op.getOffset();
    if (offset < startOffset || offset > nextOffset) {
      return new OpResult.Refused(
          ErrorCode.OFFSET_OUT_OF_RANGE,
          "offset " + offset + " is outside the log [" + startOffset + ", " + nextOffset + "]");
    }
    GroupOffset current = groups.get(op.getGroup());
    if (current == null && groups.size() >= MAX_GROUPS) {
      return new OpResult.Refused(
          ErrorCode.LIMIT_REACHED, "the partition keeps offsets for " + MAX_GROUPS + " groups at most");
    }
    GroupOffset.Builder updated =
        current == null ? GroupOffset.newBuilder().setGroup(op.getGroup()) : current.toBuilder().clearOwnerMemberId();
    return put(updated.setCommittedOffset(offset).setUpdatedAtMs(now).build(), writes);
  }

  public OpResult delete(DeleteGroupOffset op, PartitionWrites writes) {
    if (groups.remove(op.getGroup()) != null) {
      writes.deleteGroupOffset(op.getGroup());
    }
    return new OpResult.GroupPosition(-1);
  }

  private OpResult put(GroupOffset offset, PartitionWrites writes) {
    groups.put(offset.getGroup(), offset);
    writes.putGroupOffset(offset);
    return new OpResult.GroupPosition(offset.getCommittedOffset());
  }

  private static OpResult stale(String group, String member, long generation, GroupOffset owner) {
    return new OpResult.Refused(
        ErrorCode.STALE_GENERATION,
        "member " + member + " (generation " + generation + ") no longer owns this partition in group '" + group
            + "': member " + owner.getOwnerMemberId() + " claimed it in generation " + owner.getOwnerGeneration());
  }
}
