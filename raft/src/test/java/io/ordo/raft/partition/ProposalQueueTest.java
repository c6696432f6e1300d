package io.ordo.raft.partition;

import static io.ordo.raft.partition.ProposalQueue.Admission.NODE_FULL;
import static io.ordo.raft.partition.ProposalQueue.Admission.PARTITION_FULL;
import static io.ordo.raft.partition.ProposalQueue.Admission.QUEUED;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.raft.v1.PartitionOp;
import io.ordo.raft.replica.OpResult;
import io.ordo.raft.replica.ReplicaError;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The leader's queue of accepted ops proposes each one only in the term it was accepted in and
 * only while its caller waits, so no op is committed after its caller had an answer.
 */
class ProposalQueueTest {
  private final List<String> refused = new ArrayList<>();

  private static ProposalQueue.Pending append(int bytes, long term, AtomicBoolean abandoned) {
    OpCallback callback =
        new OpCallback() {
          @Override
          public void onApplied(OpResult result, long timestampMs) {}

          @Override
          public void onFailed(ReplicaError error) {}

          @Override
          public boolean abandoned() {
            return abandoned.get();
          }
        };
    return new ProposalQueue.Pending(PartitionOp.getDefaultInstance(), bytes, term, callback, 0);
  }

  private List<ProposalQueue.Pending> next(ProposalQueue queue, long term, int maxEntryBytes) {
    return queue.nextEntry(term, maxEntryBytes, (p, why) -> refused.add(p.bytes() + " " + why));
  }

  @Test
  void anAppendAcceptedInAnEarlierTermIsRefusedNotProposedInALaterOne() {
    ProposalQueue queue = new ProposalQueue(1_000, new PendingBytes(1_000_000));
    AtomicBoolean waiting = new AtomicBoolean();
    queue.offer(append(10, 3, waiting));
    queue.offer(append(20, 5, waiting));

    assertThat(next(queue, 5, 100)).extracting(ProposalQueue.Pending::bytes).containsExactly(20);
    assertThat(refused).containsExactly("10 OTHER_TERM");
    assertThat(queue.offer(append(980, 5, waiting))).as("the refused append's bytes are free again").isEqualTo(QUEUED);
  }

  @Test
  void anAppendWhoseCallerGaveUpIsRefusedNotProposed() {
    ProposalQueue queue = new ProposalQueue(1_000, new PendingBytes(1_000_000));
    AtomicBoolean gaveUp = new AtomicBoolean();
    queue.offer(append(10, 7, gaveUp));
    queue.offer(append(20, 7, new AtomicBoolean()));
    gaveUp.set(true);

    assertThat(next(queue, 7, 100)).extracting(ProposalQueue.Pending::bytes).containsExactly(20);
    assertThat(refused).containsExactly("10 ABANDONED");
  }

  @Test
  void entriesTakeAppendsInOrderUpToTheEntrySizeAndBytesAreBounded() {
    ProposalQueue queue = new ProposalQueue(100, new PendingBytes(1_000_000));
    AtomicBoolean waiting = new AtomicBoolean();
    assertThat(queue.offer(append(60, 1, waiting))).isEqualTo(QUEUED);
    assertThat(queue.offer(append(30, 1, waiting))).isEqualTo(QUEUED);
    assertThat(queue.offer(append(20, 1, waiting))).as("past maxBytes").isEqualTo(PARTITION_FULL);
    assertThat(queue.offer(append(10, 1, waiting))).isEqualTo(QUEUED);

    assertThat(next(queue, 1, 50)).extracting(ProposalQueue.Pending::bytes).as("alone: larger than an entry")
        .containsExactly(60);
    assertThat(next(queue, 1, 50)).extracting(ProposalQueue.Pending::bytes).containsExactly(30, 10);
    assertThat(queue.isEmpty()).isTrue();
    assertThat(queue.offer(append(20, 1, waiting))).as("proposed bytes are held until released").isEqualTo(PARTITION_FULL);
    queue.release(100);
    assertThat(queue.offer(append(20, 1, waiting))).isEqualTo(QUEUED);
    assertThat(refused).isEmpty();
  }

  @Test
  void thePartitionsOfANodeShareItsBoundAndFreeItAsTheirOpsAreAnswered() {
    PendingBytes node = new PendingBytes(100);
    ProposalQueue a = new ProposalQueue(80, node);
    ProposalQueue b = new ProposalQueue(100, node);
    AtomicBoolean waiting = new AtomicBoolean();
    assertThat(a.offer(append(60, 1, waiting))).isEqualTo(QUEUED);
    assertThat(b.offer(append(50, 1, waiting))).as("within b's bound, past the node's").isEqualTo(NODE_FULL);
    assertThat(b.offer(append(40, 1, waiting))).isEqualTo(QUEUED);
    assertThat(a.offer(append(30, 1, waiting))).as("refused by a's own bound first").isEqualTo(PARTITION_FULL);

    assertThat(next(a, 1, 100)).extracting(ProposalQueue.Pending::bytes).containsExactly(60);
    a.release(60);
    assertThat(b.offer(append(50, 1, waiting))).as("a's answered bytes are the node's again").isEqualTo(QUEUED);
    assertThat(next(b, 2, 100)).as("refused: accepted in term 1").isEmpty();
    assertThat(a.offer(append(20, 1, waiting))).as("b's refused ops freed the node's bytes").isEqualTo(QUEUED);
  }

  @Test
  void anOpLargerThanThePartitionsBoundIsTakenAlone() {
    ProposalQueue queue = new ProposalQueue(100, new PendingBytes(1_000));
    AtomicBoolean waiting = new AtomicBoolean();
    assertThat(queue.offer(append(10, 1, waiting))).isEqualTo(QUEUED);
    assertThat(queue.offer(append(300, 1, waiting))).as("not alone").isEqualTo(PARTITION_FULL);
    next(queue, 1, 100);
    queue.release(10);
    assertThat(queue.offer(append(300, 1, waiting))).as("alone").isEqualTo(QUEUED);
    assertThat(queue.offer(append(1, 1, waiting))).isEqualTo(PARTITION_FULL);
  }
}
