package io.ordo.node.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.v1.ErrorCode;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Membership and assignment, driven as command sequences with the time handed in. */
class GroupCoordinatorTest {
  private static final long SESSION_MS = 10_000;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<String, Integer> topics = Map.of("orders", 6, "audit", 2);
  private final GroupCoordinator coordinator =
      new GroupCoordinator(3, t -> topics.getOrDefault(t, -1), () -> "m" + ids.incrementAndGet());

  private GroupCoordinator.Assignment beat(String member, Set<TopicPartition> owned, long now) {
    return coordinator.heartbeat("g", member, Set.of("orders"), owned, SESSION_MS, now);
  }

  @Test
  void membersSplitThePartitionsEvenlyAndAPartitionMovesOnlyOnceReleased() {
    GroupCoordinator.Assignment m1 = beat("", Set.of(), 0);
    assertThat(m1.partitions()).hasSize(6);
    Set<TopicPartition> m1Owns = new HashSet<>(m1.partitions());

    GroupCoordinator.Assignment m2 = beat("", Set.of(), 1);
    assertThat(m2.generation()).isGreaterThan(m1.generation());
    assertThat(m2.partitions()).as("m1 still owns them all").isEmpty();
    assertThat(m2.waiting()).as("m2 asks again soon").isTrue();
    assertThat(m1.waiting()).isFalse();

    SortedSet<TopicPartition> m1Keeps = beat("m1", m1Owns, 2).partitions();
    assertThat(m1Keeps).as("three leave m1's assignment").hasSize(3);
    m1Owns.retainAll(m1Keeps); // m1 commits and lets the others go
    beat("m1", m1Owns, 3);

    GroupCoordinator.Assignment m2Released = beat("m2", Set.of(), 4);
    SortedSet<TopicPartition> m2Gets = m2Released.partitions();
    assertThat(m2Gets).hasSize(3).doesNotContainAnyElementsOf(m1Keeps);
    assertThat(m2Released.waiting()).isFalse();

    GroupCoordinator.Assignment m3 = beat("", Set.of(), 5);
    beat("m1", m1Owns, 6);
    beat("m2", m2Gets, 7);
    assertThat(coordinator.describe("g").orElseThrow().members())
        .allSatisfy(m -> assertThat(m.assigned()).hasSize(2));
    assertThat(m3.generation()).isGreaterThan(m2.generation());
  }

  @Test
  void aJoinMovesOnlyThePartitionsItMust() {
    SortedSet<TopicPartition> first = beat("", Set.of(), 0).partitions();
    beat("", Set.of(), 1);
    SortedSet<TopicPartition> kept = beat("m1", first, 2).partitions();
    assertThat(first).containsAll(kept);
    beat("m1", kept, 3);
    beat("m2", Set.of(), 4);
    beat("", Set.of(), 5);
    SortedSet<TopicPartition> afterThird = beat("m1", kept, 6).partitions();
    assertThat(kept).as("m1 keeps two of its three").containsAll(afterThird);
    assertThat(afterThird).hasSize(2);
  }

  @Test
  void aSilentMemberIsDroppedAfterItsSessionAndItsPartitionsMove() {
    SortedSet<TopicPartition> m1 = beat("", Set.of(), 0).partitions();
    beat("", Set.of(), 0);
    beat("m1", m1, 100);
    coordinator.expire(SESSION_MS + 50);
    assertThat(coordinator.memberCount("g")).as("m2 said nothing since 0").isEqualTo(1);
    coordinator.expire(SESSION_MS + 200);
    assertThat(coordinator.memberCount("g")).isZero();

    assertThatThrownBy(() -> beat("m1", m1, SESSION_MS + 300))
        .isInstanceOfSatisfying(GroupCoordinator.Refused.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER));
    assertThat(beat("", Set.of(), SESSION_MS + 400).partitions()).as("a rejoin gets everything").hasSize(6);
  }

  @Test
  void aGroupThatEmptiesAndComesBackNeverRepeatsAGeneration() {
    long first = beat("", Set.of(), 0).generation();
    coordinator.leave("g", "m1");
    assertThat(coordinator.describe("g")).isEmpty();
    assertThat(beat("", Set.of(), 1).generation()).isGreaterThan(first);
  }

  @Test
  void aLeavingMembersPartitionsGoToTheOthersAtOnce() {
    SortedSet<TopicPartition> m1 = beat("", Set.of(), 0).partitions();
    beat("", Set.of(), 1);
    coordinator.leave("g", "m1");
    assertThat(beat("m2", Set.of(), 2).partitions()).isEqualTo(m1);
  }

  @Test
  void generationsOfALaterCoordinatorTermAreHigherThanAnyOfAnEarlierOne() {
    long earlier = beat("", Set.of(), 0).generation();
    for (int i = 0; i < 50; i++) {
      coordinator.leave("g", "m" + ids.get());
      earlier = beat("", Set.of(), i).generation();
    }
    GroupCoordinator next = new GroupCoordinator(4, t -> 6, () -> "x");
    assertThat(next.heartbeat("g", "", Set.of("orders"), Set.of(), SESSION_MS, 0).generation()).isGreaterThan(earlier);
  }

  @Test
  void membersReadingDifferentTopicsShareOnlyWhatTheyBothRead() {
    coordinator.heartbeat("g", "", Set.of("orders", "audit"), Set.of(), SESSION_MS, 0);
    GroupCoordinator.Assignment m2 = coordinator.heartbeat("g", "", Set.of("audit"), Set.of(), SESSION_MS, 0);
    coordinator.heartbeat("g", "m1", Set.of("orders", "audit"), Set.of(), SESSION_MS, 1);
    SortedSet<TopicPartition> m1 =
        coordinator.heartbeat("g", "m1", Set.of("orders", "audit"), Set.of(), SESSION_MS, 2).partitions();
    assertThat(m1).filteredOn(tp -> tp.topic().equals("orders")).hasSize(6);
    assertThat(m1).filteredOn(tp -> tp.topic().equals("audit")).hasSize(1);
    assertThat(coordinator.heartbeat("g", "m2", Set.of("audit"), Set.of(), SESSION_MS, 3).partitions()).hasSize(1);
    assertThat(m2.memberId()).isEqualTo("m2");
    assertThatThrownBy(() -> coordinator.heartbeat("g", "", Set.of("nope"), Set.of(), SESSION_MS, 4))
        .isInstanceOfSatisfying(GroupCoordinator.Refused.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.UNKNOWN_TOPIC));
  }
}
