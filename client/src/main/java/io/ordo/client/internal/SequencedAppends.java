package io.ordo.client.internal;

import io.ordo.client.AppendedRecords;
import io.ordo.client.ProducerRecord;
import io.ordo.proto.v1.PartitionAppend;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.ProducerServiceGrpc;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Blocking idempotent appends under a caller's producer id and sequence, to the partition's leader. */
public final class SequencedAppends {
  private final LeaderCalls leaders;

  public SequencedAppends(ChannelPool channels, MetadataCache metadata, RetryPolicy retry, long requestTimeoutNanos) {
    this.leaders = new LeaderCalls(channels, metadata, retry, requestTimeoutNanos);
  }

  public AppendedRecords append(
      String topic, int partition, long producerId, long firstSequence, List<ProducerRecord> records) {
    ProduceRequest.Builder request = ProduceRequest.newBuilder()
        .setTopic(topic)
        .setPartition(partition)
        .setProducerId(producerId)
        .setFirstSequence(firstSequence);
    records.forEach(r -> request.addRecords(Records.toProto(r)));
    ProduceRequest built = request.build();
    PartitionAppend appended = leaders.call(topic, partition, "append to " + topic + "/" + partition, (channel, timeoutNanos) ->
            ProducerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS).produce(built))
        .getAppends(0);
    return new AppendedRecords(topic, partition, appended.getBaseOffset(), appended.getRecordCount(), appended.getTimestampMs());
  }
}
