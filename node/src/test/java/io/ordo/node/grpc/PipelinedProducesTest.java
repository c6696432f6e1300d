package io.ordo.node.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ordo.raft.partition.PartitionId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PipelinedProducesTest {
  private static final PartitionId PARTITION = new PartitionId(1, 0);
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final PipelinedProduces pipelined = new PipelinedProduces(timer);
  private final List<String> proposed = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  private void submit(long producer, long first, int count, boolean follows) {
    pipelined.submit(PARTITION, producer, first, count, follows, () -> proposed.add(producer + "@" + first));
  }

  @Test
  void requestsThatArriveBeforeTheOneTheyFollowAreProposedAfterIt() {
    submit(7, 0, 2, false);
    submit(7, 6, 2, true);
    submit(7, 4, 2, true);
    assertThat(proposed).containsExactly("7@0");

    submit(7, 2, 2, true);

    assertThat(proposed).containsExactly("7@0", "7@2", "7@4", "7@6");
  }

  @Test
  void aFirstRequestThatFollowsWaitsForTheOneThatStartsTheSequence() {
    submit(7, 2, 2, true);
    submit(8, 0, 1, false);
    assertThat(proposed).containsExactly("8@0");

    submit(7, 0, 2, false);

    assertThat(proposed).containsExactly("8@0", "7@0", "7@2");
  }

  @Test
  void aRequestWhosePredecessorNeverComesGoesAfterTheWait() {
    submit(7, 0, 2, false);
    long start = System.nanoTime();
    submit(7, 4, 2, true);

    await().atMost(Duration.ofSeconds(5)).until(() -> proposed.size() == 2);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(PipelinedProduces.PARK_MS));
    assertThat(proposed).containsExactly("7@0", "7@4");
  }

  @Test
  void aResendThatDoesNotFollowStartsTheSequenceAfresh() {
    submit(7, 0, 2, false);
    submit(7, 2, 2, true);
    // The producer resends from 2 (the request at 2 failed): it leads without following.
    submit(7, 2, 2, false);
    submit(7, 4, 2, true);

    assertThat(proposed).containsExactly("7@0", "7@2", "7@2", "7@4");
  }

  @Test
  void pastTheParkingBoundRequestsGoAtOnce() {
    submit(7, 0, 1, false);
    for (int i = 0; i < PipelinedProduces.MAX_PARKED; i++) {
      submit(7, 10 + i, 1, true);
    }
    submit(7, 20, 1, true);

    assertThat(proposed).containsExactly("7@0", "7@20");
  }
}
