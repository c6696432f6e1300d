package io.ordo.raft.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.raft.v1.AppendRecords;
import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.proto.raft.v1.ProducerState;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.raft.storage.DataStore;
import io.ordo.raft.storage.PartitionStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A replica that restarts resumes from the state it stored and is handed its Raft log again from
 * some earlier index: it must skip what it already holds and apply the rest, ending with exactly
 * the records of a replica that applied every entry once.
 */
class ReplayAfterRestartTest {
  private static final int ENTRIES = 24;
  private static final long PARTITION = 42;

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} of " + ENTRIES + " entries applied before the restart")
  @ValueSource(ints = {0, 1, 9, 23, 24})
  void replayingTheWholeLogAfterARestartAddsNoDuplicatesAndNoGaps(int appliedBeforeRestart) throws IOException {
    List<PartitionCommand> log = log(new Random(appliedBeforeRestart));
    Snapshot once = applyOnce(log);

    try (DataStore data = DataStore.open(dir.resolve("replica"))) {
      StoreApplier applier = new StoreApplier(data.partition(PARTITION));
      for (int i = 0; i < appliedBeforeRestart; i++) {
        applier.apply(i + 1, log.get(i));
      }
    }
    try (DataStore data = DataStore.open(dir.resolve("replica"))) {
      PartitionStore store = data.partition(PARTITION);
      StoreApplier restarted = new StoreApplier(store);
      assertThat(restarted.machine().state().getAppliedIndex()).isEqualTo(appliedBeforeRestart);

      // jraft hands entries over in rounds that need not line up with the ones before the crash.
      for (int first = 1; first <= ENTRIES; first += 5) {
        int last = Math.min(first + 4, ENTRIES);
        restarted.applyRound(first, log.subList(first - 1, last).toArray(PartitionCommand[]::new));
      }

      assertThat(Snapshot.of(store)).isEqualTo(once);
      assertThat(restarted.machine().state()).isEqualTo(once.state());
    }
  }

  /**
   * The data store skips RocksDB's write-ahead log: a killed node loses what its memtables held.
   * What survives must still be one point in time for each partition, its state naming the last
   * entry its records include, so that the replay ends where a replica that never crashed is.
   */
  @Test
  void aKilledReplicaLosesOnlyWritesAfterTheLastFlushAndReplaysThem() throws Exception {
    List<PartitionCommand> log = log(new Random(5));
    Snapshot once = applyOnce(log);
    Path replica = dir.resolve("replica");

    Process killed = new ProcessBuilder(
            ProcessHandle.current().info().command().orElse("java"),
            "-cp", System.getProperty("java.class.path"),
            KilledReplica.class.getName(), replica.toString())
        .inheritIO()
        .start();
    assertThat(killed.waitFor(60, TimeUnit.SECONDS)).as("the child replica ran to its kill").isTrue();
    assertThat(killed.exitValue()).isEqualTo(KilledReplica.EXIT_KILLED);

    try (DataStore data = DataStore.open(replica)) {
      PartitionStore store = data.partition(PARTITION);
      assertThat(store.readState().getAppliedIndex()).isEqualTo(KilledReplica.FLUSHED_AT);
      assertThat(Snapshot.of(store)).isEqualTo(applyPrefix(log, KilledReplica.FLUSHED_AT));

      new StoreApplier(store).applyRound(1, log.toArray(PartitionCommand[]::new));

      assertThat(Snapshot.of(store)).isEqualTo(once);
    }
  }

  /** Applies the whole log, flushing the store after {@link #FLUSHED_AT} entries, then halts. */
  static final class KilledReplica {
    static final int FLUSHED_AT = 9;
    static final int EXIT_KILLED = 77;

    public static void main(String[] args) throws IOException {
      List<PartitionCommand> log = log(new Random(5));
      DataStore data = DataStore.open(Path.of(args[0]));
      StoreApplier applier = new StoreApplier(data.partition(PARTITION));
      for (int i = 0; i < log.size(); i++) {
        applier.apply(i + 1, log.get(i));
        if (i + 1 == FLUSHED_AT) {
          data.partition(PARTITION).flush();
        }
      }
      Runtime.getRuntime().halt(EXIT_KILLED); // no close: as kill -9 leaves it
    }
  }

  @Test
  void replayingOnlyAppliedEntriesChangesNothing() throws IOException {
    List<PartitionCommand> log = log(new Random(7));
    try (DataStore data = DataStore.open(dir.resolve("replica"))) {
      StoreApplier applier = new StoreApplier(data.partition(PARTITION));
      for (int i = 0; i < ENTRIES; i++) {
        applier.apply(i + 1, log.get(i));
      }
    }
    try (DataStore data = DataStore.open(dir.resolve("replica"))) {
      PartitionStore store = data.partition(PARTITION);
      Snapshot before = Snapshot.of(store);

      new StoreApplier(store).applyRound(1, log.toArray(PartitionCommand[]::new));

      assertThat(Snapshot.of(store)).isEqualTo(before);
    }
  }

  @Test
  void offsetsAfterTheReplayAreContiguousFromZero() throws IOException {
    List<PartitionCommand> log = log(new Random(11));
    try (DataStore data = DataStore.open(dir.resolve("replica"))) {
      StoreApplier applier = new StoreApplier(data.partition(PARTITION));
      for (int i = 0; i < ENTRIES / 2; i++) {
        applier.apply(i + 1, log.get(i));
      }
    }
    try (DataStore data = DataStore.open(dir.resolve("replica"))) {
      PartitionStore store = data.partition(PARTITION);
      new StoreApplier(store).applyRound(1, log.toArray(PartitionCommand[]::new));

      List<ConsumedRecord> records = store.read(0, Long.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
      assertThat(records)
          .extracting(ConsumedRecord::getOffset)
          .containsExactlyElementsOf(LongStream.range(0, records.size()).boxed().toList());
      assertThat(records).hasSize((int) store.readState().getNextOffset());
    }
  }

  private Snapshot applyOnce(List<PartitionCommand> log) throws IOException {
    return applyPrefix(log, log.size());
  }

  private Snapshot applyPrefix(List<PartitionCommand> log, int entries) throws IOException {
    try (DataStore data = DataStore.open(dir.resolve("reference-" + entries))) {
      PartitionStore store = data.partition(PARTITION);
      StoreApplier applier = new StoreApplier(store);
      for (int i = 0; i < entries; i++) {
        applier.apply(i + 1, log.get(i));
      }
      return Snapshot.of(store);
    }
  }

  /** Everything a replica's store holds for the partition. */
  private record Snapshot(
      PartitionState state,
      List<ConsumedRecord> records,
      List<ProducerState> producers) {
    static Snapshot of(PartitionStore store) {
      return new Snapshot(
          store.readState(), store.read(0, Long.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE), store.readProducers());
    }
  }

  /** A log of appends, some by idempotent producers, some of those retried in a later entry. */
  private static List<PartitionCommand> log(Random random) {
    List<PartitionCommand> log = new ArrayList<>();
    long[] nextSequence = new long[3];
    AppendRecords lastIdempotent = null;
    for (int i = 0; i < ENTRIES; i++) {
      PartitionCommand.Builder command = PartitionCommand.newBuilder().setTimestampMs(1_000 + 10L * i);
      int ops = 1 + random.nextInt(3);
      for (int o = 0; o < ops; o++) {
        AppendRecords.Builder append =
            AppendRecords.newBuilder().addAllRecords(Commands.records("e" + i + "o" + o, random.nextInt(4)));
        int producer = random.nextInt(4);
        if (lastIdempotent != null && random.nextInt(5) == 0) {
          append = lastIdempotent.toBuilder();
        } else if (producer > 0) {
          append.setProducerId(producer).setFirstSequence(nextSequence[producer - 1]);
          nextSequence[producer - 1] += append.getRecordsCount();
          lastIdempotent = append.build();
        }
        command.addOps(PartitionOp.newBuilder().setAppend(append));
      }
      log.add(command.build());
    }
    return log;
  }
}
