package io.ordo.raft.partition;

import com.google.protobuf.ByteString;
import io.ordo.proto.raft.v1.AppendRecords;
import io.ordo.proto.raft.v1.ClaimPartition;
import io.ordo.proto.raft.v1.CommitOffset;
import io.ordo.proto.raft.v1.GroupStart;
import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.v1.Header;
import io.ordo.proto.v1.Record;
import io.ordo.raft.replica.OpResult;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** Builds partition commands for tests: records named by text, appends and whole entries. */
public final class Commands {
  private Commands() {}

  /** A record whose key is {@code key} and whose value is {@code value}, both UTF-8. */
  public static Record record(String key, String value) {
    return Record.newBuilder().setKey(utf8(key)).setValue(utf8(value)).build();
  }

  /** A record with one header, so tests see headers travel with the record. */
  public static Record recordWithHeader(String key, String value, String headerKey, String headerValue) {
    return record(key, value).toBuilder()
        .addHeaders(Header.newBuilder().setKey(headerKey).setValue(utf8(headerValue)))
        .build();
  }

  /** Records {@code prefix-0 .. prefix-(count-1)}, key and value alike. */
  public static List<Record> records(String prefix, int count) {
    Record[] out = new Record[count];
    for (int i = 0; i < count; i++) {
      out[i] = record(prefix + "-" + i, prefix + "-" + i);
    }
    return Arrays.asList(out);
  }

  public static PartitionOp append(List<Record> records) {
    return PartitionOp.newBuilder().setAppend(AppendRecords.newBuilder().addAllRecords(records)).build();
  }

  /** An entry the leader proposed at {@code timestampMs} holding {@code ops}. */
  public static PartitionCommand command(long timestampMs, PartitionOp... ops) {
    return PartitionCommand.newBuilder().setTimestampMs(timestampMs).addAllOps(Arrays.asList(ops)).build();
  }

  /** {@code command} as a Raft log entry holds it. */
  public static ByteBuffer encoded(PartitionCommand command) {
    return ByteBuffer.wrap(command.toByteArray());
  }

  /** Member {@code member} of {@code group} takes the partition in {@code generation}. */
  public static PartitionOp claim(String group, String member, long generation, GroupStart start) {
    return PartitionOp.newBuilder()
        .setClaimPartition(
            ClaimPartition.newBuilder().setGroup(group).setMemberId(member).setGeneration(generation).setStart(start))
        .build();
  }

  public static PartitionOp commit(String group, String member, long generation, long offset) {
    return PartitionOp.newBuilder()
        .setCommitOffset(
            CommitOffset.newBuilder().setGroup(group).setMemberId(member).setGeneration(generation).setOffset(offset))
        .build();
  }

  /** The result of an append of {@code count} records committed from {@code baseOffset} on. */
  public static OpResult appended(long baseOffset, int count) {
    return new OpResult.Appended(baseOffset, count);
  }

  public static ByteString utf8(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }
}
