package io.ordo.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.client.ProducerRecord;
import io.ordo.client.RecordMetadata;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PartitionQueueTest {
  private static final long LINGER = 5_000_000;
  private final PartitionQueue queue = new PartitionQueue("t", 0);
  /** Appends a record of {@code size} encoded bytes to a queue of batches of 100. */
  private int append(int size, long now) {
    return queue.append(recordOfSize(size), size, new CompletableFuture<RecordMetadata>(), now, 100);
  }

  private static ProducerRecord recordOfSize(int size) {
    for (int valueBytes = 0; valueBytes < size; valueBytes++) {
      ProducerRecord record = ProducerRecord.of("t", new byte[valueBytes]);
      if (EncodedRecords.entrySize(record) == size) {
        return record;
      }
    }
    throw new IllegalArgumentException("no record encodes to " + size + " bytes");
  }

  @Test
  void aBatchThatIsNotFullWaitsForItsLinger() {
    assertThat(append(10, 0)).isEqualTo(PartitionQueue.NEW_BATCH);
    assertThat(append(10, 1)).isZero();
    assertThat(queue.nextToSend(LINGER - 1, LINGER, false)).isNull();
    assertThat(queue.lingerDeadline(LINGER)).isEqualTo(LINGER);
    ProducerBatch batch = queue.nextToSend(LINGER, LINGER, false);
    assertThat(batch.recordCount()).isEqualTo(2);
    assertThat(batch.isClosed()).isTrue();
  }

  @Test
  void flushOrCloseSendsWithoutWaitingForTheLinger() {
    append(10, 0);
    assertThat(queue.nextToSend(0, LINGER, true)).isNotNull();
  }

  @Test
  void aBatchReachingBatchBytesIsClosedAndSendableAtOnce() {
    append(60, 0);
    assertThat(append(40, 0)).isEqualTo(PartitionQueue.BATCH_FULL);
    assertThat(queue.nextToSend(0, LINGER, false).recordCount()).isEqualTo(2);
  }

  @Test
  void aRecordThatDoesNotFitStartsTheNextBatch() {
    append(60, 0);
    assertThat(append(50, 0)).isEqualTo(PartitionQueue.BATCH_FULL | PartitionQueue.NEW_BATCH);
    ProducerBatch first = queue.nextToSend(0, LINGER, false);
    assertThat(first.recordCount()).isEqualTo(1);
    queue.removeHead(first);
    assertThat(queue.head().bytes()).isEqualTo(50);
  }

  @Test
  void aRecordLargerThanBatchBytesTravelsAlone() {
    assertThat(append(250, 0)).isEqualTo(PartitionQueue.NEW_BATCH | PartitionQueue.BATCH_FULL);
    assertThat(append(10, 0)).isEqualTo(PartitionQueue.NEW_BATCH);
    assertThat(queue.nextToSend(0, LINGER, false).recordCount()).isEqualTo(1);
  }

  @Test
  void recordsAppendedAfterTheHeadWasTakenGoToANewBatch() {
    append(10, 0);
    ProducerBatch head = queue.nextToSend(LINGER, LINGER, false);
    assertThat(append(10, LINGER)).isEqualTo(PartitionQueue.NEW_BATCH);
    assertThat(head.recordCount()).isEqualTo(1);
  }

  @Test
  void expiresOnlyBatchesOlderThanTheTimeout() {
    append(10, 0);
    assertThat(queue.pollExpired(99, 100)).isNull();
    assertThat(queue.pollExpired(100, 100)).isNotNull();
    assertThat(queue.isEmpty()).isTrue();
  }
}
