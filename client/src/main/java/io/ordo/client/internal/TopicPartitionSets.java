package io.ordo.client.internal;

import io.ordo.client.TopicPartition;
import io.ordo.proto.v1.TopicPartitions;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/** Sets of partitions to and from the wire form, which lists each topic once with its partitions. */
final class TopicPartitionSets {
  private TopicPartitionSets() {}

  static List<TopicPartitions> toProto(Collection<TopicPartition> partitions) {
    Map<String, TopicPartitions.Builder> byTopic = new TreeMap<>();
    for (TopicPartition tp : partitions) {
      byTopic.computeIfAbsent(tp.topic(), t -> TopicPartitions.newBuilder().setTopic(t)).addPartitions(tp.partition());
    }
    return byTopic.values().stream().map(TopicPartitions.Builder::build).toList();
  }

  static SortedSet<TopicPartition> fromProto(List<TopicPartitions> partitions) {
    SortedSet<TopicPartition> out = new TreeSet<>();
    for (TopicPartitions tp : partitions) {
      tp.getPartitionsList().forEach(p -> out.add(new TopicPartition(tp.getTopic(), p)));
    }
    return out;
  }
}
