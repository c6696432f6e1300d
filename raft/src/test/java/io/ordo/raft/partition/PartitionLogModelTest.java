package io.ordo.raft.partition;

import static io.ordo.raft.partition.Commands.encoded;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ordo.proto.raft.v1.AppendRecords;
import io.ordo.proto.raft.v1.PartitionCommand;
import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.proto.raft.v1.PartitionState;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.Header;
import io.ordo.proto.v1.Record;
import io.ordo.raft.storage.DataStore;
import io.ordo.raft.storage.PartitionStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model-based test of the append path: random command sequences go through {@link
 * PartitionStateMachine} into a real {@link PartitionStore}, and the same records go into a list.
 * Every read from the store must return exactly what the list says, within the read's limits.
 *
 * <p>Each seed gets its own partition key in one shared store, so every run also checks that
 * neighbouring partitions' keys never leak into a read. A failure names its seed; rerun just that
 * seed by narrowing {@link #seeds()}.
 */
class PartitionLogModelTest {
  private static final int SEEDS = 300;

  @TempDir static Path dir;
  private static DataStore data;

  @BeforeAll
  static void open() throws IOException {
    data = DataStore.open(dir);
  }

  @AfterAll
  static void close() {
    data.close();
  }

  static LongStream seeds() {
    return LongStream.rangeClosed(1, SEEDS);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void readsReturnExactlyTheModelsRecords(long seed) {
    Random random = new Random(seed);
    PartitionStore store = data.partition(seed);
    PartitionStateMachine machine = new PartitionStateMachine(store.readState(), store.readProducers(), store.readGroupOffsets(), store.readQueueGroups());
    List<ConsumedRecord> model = new ArrayList<>();
    long lastTimestamp = 0;
    long index = 0;
    long timestamp = random.nextInt(1_000);

    int rounds = 1 + random.nextInt(12);
    for (int round = 0; round < rounds; round++) {
      try (PartitionStore.Writer writer = store.newWriter()) {
        int entries = 1 + random.nextInt(4);
        for (int e = 0; e < entries; e++) {
          // Raft configuration entries never reach the state machine: indexes can skip.
          index += 1 + (random.nextInt(5) == 0 ? random.nextInt(3) : 0);
          if (random.nextInt(8) == 0) {
            machine.advanceTo(index, writer);
            continue;
          }
          // Leaders' clocks disagree: a later entry may carry an earlier time.
          timestamp += random.nextInt(200) - 60;
          PartitionCommand command = randomCommand(random, timestamp);
          machine.apply(index, encoded(command), writer);
          lastTimestamp = Math.max(lastTimestamp, timestamp);
          for (PartitionOp op : command.getOpsList()) {
            for (Record r : op.getAppend().getRecordsList()) {
              model.add(consumed(model.size(), lastTimestamp, r));
            }
          }
        }
        writer.commit();
      }
      checkRandomReads(random, store, model, 3, seed);
    }

    PartitionState state = store.readState();
    assertThat(state).as("seed %d", seed).isEqualTo(machine.state());
    assertThat(state.getNextOffset()).as("seed %d", seed).isEqualTo(model.size());
    assertThat(state.getAppliedIndex()).as("seed %d", seed).isEqualTo(index);
    assertThat(store.read(0, Long.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE)).as("seed %d", seed).isEqualTo(model);
    checkRandomReads(random, store, model, 40, seed);
  }

  private static void checkRandomReads(Random random, PartitionStore store, List<ConsumedRecord> model, int reads, long seed) {
    for (int i = 0; i < reads; i++) {
      long offset = random.nextInt(model.size() + 3);
      long end = random.nextInt(4) == 0 ? Long.MAX_VALUE : offset - 1 + random.nextInt(model.size() + 5);
      int maxRecords = random.nextInt(6) == 0 ? Integer.MAX_VALUE : 1 + random.nextInt(20);
      int maxBytes = random.nextInt(6) == 0 ? Integer.MAX_VALUE : random.nextInt(2_000);

      List<ConsumedRecord> got = store.read(offset, end, maxRecords, maxBytes);

      String read = String.format("seed %d: read(%d, %d, %d, %d) of %d records", seed, offset, end, maxRecords, maxBytes, model.size());
      assertThat(got).as(read).isEqualTo(expectedRead(model, offset, end, maxRecords, maxBytes));
      if (offset < Math.min(end, model.size())) {
        assertThat(got).as(read + " returns at least one record when one is there").isNotEmpty();
      }
    }
  }

  /** The model's answer: records in [offset, end), at most maxRecords, within maxBytes unless the first is larger. */
  private static List<ConsumedRecord> expectedRead(
      List<ConsumedRecord> model, long offset, long end, int maxRecords, int maxBytes) {
    List<ConsumedRecord> out = new ArrayList<>();
    long bytes = 0;
    for (long o = offset; o < Math.min(end, model.size()) && out.size() < maxRecords; o++) {
      ConsumedRecord r = model.get((int) o);
      long size = r.getKey().size() + r.getValue().size();
      if (!out.isEmpty() && bytes + size > maxBytes) {
        break;
      }
      bytes += size;
      out.add(r);
    }
    return out;
  }

  private static PartitionCommand randomCommand(Random random, long timestampMs) {
    PartitionCommand.Builder command = PartitionCommand.newBuilder().setTimestampMs(timestampMs);
    int ops = random.nextInt(4);
    for (int o = 0; o < ops; o++) {
      AppendRecords.Builder append = AppendRecords.newBuilder();
      int records = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(8);
      for (int r = 0; r < records; r++) {
        append.addRecords(randomRecord(random));
      }
      command.addOps(PartitionOp.newBuilder().setAppend(append));
    }
    return command.build();
  }

  private static Record randomRecord(Random random) {
    Record.Builder r = Record.newBuilder().setKey(bytes(random, random.nextInt(3) == 0 ? 0 : random.nextInt(20)));
    r.setValue(bytes(random, random.nextInt(10) == 0 ? 1_000 + random.nextInt(2_000) : random.nextInt(300)));
    if (random.nextInt(4) == 0) {
      r.addHeaders(Header.newBuilder().setKey("h" + random.nextInt(3)).setValue(bytes(random, random.nextInt(10))));
    }
    return r.build();
  }

  private static ByteString bytes(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return ByteString.copyFrom(b);
  }

  private static ConsumedRecord consumed(long offset, long timestampMs, Record r) {
    return ConsumedRecord.newBuilder()
        .setOffset(offset)
        .setTimestampMs(timestampMs)
        .setKey(r.getKey())
        .setValue(r.getValue())
        .addAllHeaders(r.getHeadersList())
        .build();
  }
}
