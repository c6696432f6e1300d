package io.ordo.raft.partition;

import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.raft.storage.DataStore;
import io.ordo.raft.storage.PartitionStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * One log applied by two replicas that must end up alike: one applies it in a single round; the
 * other in rounds of its own split (the first two entries, then one at a time), exporting a
 * snapshot after the third entry and going on from that snapshot installed in a fresh partition.
 *
 * @param oneRound the first replica's partition
 * @param splitWithSnapshot the second replica's partition, the one it installed the snapshot in
 */
public record TwoReplicas(PartitionStore oneRound, PartitionStore splitWithSnapshot) {
  /** Applies {@code log} (at least three entries, from index 1) on partition 1 of {@code a} and of {@code b}. */
  public static TwoReplicas apply(List<PartitionCommand> log, DataStore a, DataStore b) throws IOException {
    PartitionStore oneRound = a.partition(1);
    new StoreApplier(oneRound).applyRound(1, log.toArray(PartitionCommand[]::new));

    PartitionStore split = b.partition(1);
    StoreApplier first = new StoreApplier(split);
    first.applyRound(1, log.get(0), log.get(1));
    first.applyRound(3, log.get(2));
    ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
    try (PartitionStore.Export export = split.freeze()) {
      export.writeTo(snapshot);
    }
    PartitionStore installed = b.partition(2);
    installed.importFrom(new ByteArrayInputStream(snapshot.toByteArray()));
    StoreApplier afterSnapshot = new StoreApplier(installed);
    for (int i = 3; i < log.size(); i++) {
      afterSnapshot.applyRound(i + 1, log.get(i));
    }
    return new TwoReplicas(oneRound, installed);
  }
}
