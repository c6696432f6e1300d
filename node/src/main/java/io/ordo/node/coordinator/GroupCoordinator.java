package io.ordo.node.coordinator;

import io.ordo.proto.v1.ErrorCode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * The stream groups of one coordinator term: members, their sessions, and which member reads
 * which partition. A partition moves cooperatively: it leaves the old member's assignment first,
 * and reaches the new member only once the old one stopped reporting it as owned (it committed
 * and let go) or left the group. Members that miss their session timeout are dropped.
 *
 * <p>Deterministic given the times it is handed; thread-safe (one lock: a few microseconds per
 * heartbeat).
 */
public final class GroupCoordinator {
  /** Session timeouts a member may ask for. */
  public static final int MIN_SESSION_TIMEOUT_MS = 1_000;
  public static final int MAX_SESSION_TIMEOUT_MS = 300_000;
  /** Members one group may have, and groups one coordinator keeps. */
  public static final int MAX_MEMBERS_PER_GROUP = 1_000;
  public static final int MAX_GROUPS = 10_000;

  /** A refusal the caller turns into an error status. */
  public static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    Refused(ErrorCode code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    public ErrorCode code() {
      return code;
    }
  }

  /**
   * A member's answer: its id, the generation to claim with, and its partitions; {@code waiting}
   * when more are assigned to it that another member has yet to let go.
   */
  public record Assignment(String memberId, long generation, SortedSet<TopicPartition> partitions, boolean waiting) {}

  /** A member as {@code describe} shows it: what it should read, and what it reported reading. */
  public record MemberView(String memberId, SortedSet<TopicPartition> assigned, SortedSet<TopicPartition> owned) {}

  /** A group as {@code describe} shows it. */
  public record GroupView(String name, long generation, List<MemberView> members) {}

  private static final class Member {
    final String id;
    Set<String> topics;
    SortedSet<TopicPartition> owned = new TreeSet<>();
    /** What the last answer let it read: it may have claimed those since its last report. */
    SortedSet<TopicPartition> lastGiven = new TreeSet<>();
    long sessionTimeoutMs;
    long deadlineMs;

    Member(String id) {
      this.id = id;
    }
  }

  private static final class Group {
    long generation;
    final Map<String, Member> members = new TreeMap<>();
    /** Who should read each partition. */
    Map<TopicPartition, String> target = new HashMap<>();
  }

  /**
   * The last generation handed out, by any group: one counter for all, so a group that empties
   * and comes back never repeats a generation its partitions have seen claimed.
   */
  private long lastGeneration;
  private final ToIntFunction<String> partitionCount;
  private final Supplier<String> memberIds;
  private final Map<String, Group> groups = new HashMap<>();

  /**
   * @param term the metadata term this coordinator serves in: generations start above any an
   *     earlier term handed out
   * @param partitionCount a topic's partition count, or -1 if it does not exist
   * @param memberIds new member ids, unique
   */
  public GroupCoordinator(long term, ToIntFunction<String> partitionCount, Supplier<String> memberIds) {
    this.lastGeneration = term << 32;
    this.partitionCount = partitionCount;
    this.memberIds = memberIds;
  }

  /**
   * A member joins ({@code memberId} empty) or reports in: it reads {@code topics} and still owns
   * {@code owned}. Answers the partitions it should read now.
   *
   * @throws Refused UNKNOWN_MEMBER for an id this coordinator does not know, UNKNOWN_TOPIC,
   *     LIMIT_REACHED
   */
  public synchronized Assignment heartbeat(
      String group, String memberId, Set<String> topics, Set<TopicPartition> owned, long sessionTimeoutMs, long nowMs) {
    for (String topic : topics) {
      if (partitionCount.applyAsInt(topic) < 0) {
        throw new Refused(ErrorCode.UNKNOWN_TOPIC, "topic '" + topic + "' does not exist");
      }
    }
    Group g = groups.get(group);
    Member member;
    if (memberId.isEmpty()) {
      if (g == null && groups.size() >= MAX_GROUPS) {
        throw new Refused(ErrorCode.LIMIT_REACHED, "the coordinator keeps " + MAX_GROUPS + " groups at most");
      }
      if (g != null && g.members.size() >= MAX_MEMBERS_PER_GROUP) {
        throw new Refused(
            ErrorCode.LIMIT_REACHED, "group '" + group + "' has " + MAX_MEMBERS_PER_GROUP + " members, the most allowed");
      }
      g = groups.computeIfAbsent(group, name -> new Group());
      member = new Member(memberIds.get());
      g.members.put(member.id, member);
    } else {
      member = g == null ? null : g.members.get(memberId);
      if (member == null) {
        throw new Refused(
            ErrorCode.UNKNOWN_MEMBER,
            "group '" + group + "' has no member " + memberId + " (its session expired, or the coordinator moved):"
                + " rejoin");
      }
    }
    member.topics = Set.copyOf(topics);
    member.owned = new TreeSet<>(owned);
    member.sessionTimeoutMs = sessionTimeoutMs;
    member.deadlineMs = nowMs + sessionTimeoutMs;
    reassign(g);
    member.lastGiven = readable(g, member);
    boolean waiting = member.lastGiven.size() < assignedTo(g, member.id).size();
    return new Assignment(member.id, g.generation, member.lastGiven, waiting);
  }

  /** The member leaves; its partitions go to others at once. Unknown members are ignored. */
  public synchronized void leave(String group, String memberId) {
    Group g = groups.get(group);
    if (g != null && g.members.remove(memberId) != null) {
      afterLeaving(group, g);
    }
  }

  /** Drops every member whose session ended before {@code nowMs}. */
  public synchronized void expire(long nowMs) {
    for (var it = groups.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      Group g = entry.getValue();
      if (g.members.values().removeIf(m -> m.deadlineMs < nowMs)) {
        if (g.members.isEmpty()) {
          it.remove();
        } else {
          reassign(g);
        }
      }
    }
  }

  private void afterLeaving(String name, Group g) {
    if (g.members.isEmpty()) {
      groups.remove(name);
    } else {
      reassign(g);
    }
  }

  public synchronized int memberCount(String group) {
    Group g = groups.get(group);
    return g == null ? 0 : g.members.size();
  }

  public synchronized Optional<GroupView> describe(String group) {
    Group g = groups.get(group);
    if (g == null) {
      return Optional.empty();
    }
    List<MemberView> members =
        g.members.values().stream()
            .map(m -> new MemberView(m.id, assignedTo(g, m.id), new TreeSet<>(m.owned)))
            .toList();
    return Optional.of(new GroupView(group, g.generation, members));
  }

  /** Recomputes who should read what; a change starts a new generation. */
  private void reassign(Group g) {
    Map<TopicPartition, String> target = new HashMap<>();
    SortedSet<String> allTopics = new TreeSet<>();
    g.members.values().forEach(m -> allTopics.addAll(m.topics));
    for (String topic : allTopics) {
      SortedSet<String> readers = new TreeSet<>();
      g.members.values().stream().filter(m -> m.topics.contains(topic)).forEach(m -> readers.add(m.id));
      int partitions = Math.max(0, partitionCount.applyAsInt(topic));
      StickyAssignor.assign(topic, partitions, readers, g.target)
          .forEach((p, member) -> target.put(new TopicPartition(topic, p), member));
    }
    if (!target.equals(g.target) || g.generation == 0) {
      g.target = target;
      g.generation = ++lastGeneration;
    }
  }

  private static SortedSet<TopicPartition> assignedTo(Group g, String memberId) {
    SortedSet<TopicPartition> out = new TreeSet<>();
    g.target.forEach((tp, m) -> {
      if (m.equals(memberId)) {
        out.add(tp);
      }
    });
    return out;
  }

  /**
   * The member's partitions that no other member may still hold: one another member reported
   * owning, or was let read in its last answer (it may have claimed it since), is still being
   * released. Only an optimization: were two members to claim one partition, the partition would
   * keep the claim of the later generation and refuse the other's commits.
   */
  private static SortedSet<TopicPartition> readable(Group g, Member member) {
    SortedSet<TopicPartition> out = assignedTo(g, member.id);
    for (Member other : g.members.values()) {
      if (other != member) {
        out.removeAll(other.owned);
        out.removeAll(other.lastGiven);
      }
    }
    return out;
  }
}
