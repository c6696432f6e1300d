package io.ordo.node.coordinator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;

/**
 * Divides each topic's partitions evenly among the members that read it (counts differ by one at
 * most), keeping every partition with its current member where the balance allows: a join or a
 * leave moves only the partitions it must. Deterministic: members are taken in id order.
 */
final class StickyAssignor {
  private StickyAssignor() {}

  /**
   * The new assignment of {@code topic}'s {@code partitions} among {@code readers}, given the
   * {@code current} owner of each partition (absent, or a member that left: unassigned).
   */
  static Map<Integer, String> assign(
      String topic, int partitions, SortedSet<String> readers, Map<TopicPartition, String> current) {
    Map<Integer, String> out = new HashMap<>();
    if (readers.isEmpty()) {
      return out;
    }
    int base = partitions / readers.size();
    int withExtra = partitions % readers.size();
    Map<String, Integer> counts = new HashMap<>();
    readers.forEach(m -> counts.put(m, 0));
    List<Integer> unassigned = new ArrayList<>();
    // Keep up to the base share first, then the extra partitions while members may still take one.
    for (int pass = 0; pass < 2; pass++) {
      for (int p = 0; p < partitions; p++) {
        if (out.containsKey(p)) {
          continue;
        }
        String owner = current.get(new TopicPartition(topic, p));
        if (owner == null || !counts.containsKey(owner)) {
          continue;
        }
        int count = counts.get(owner);
        if (count < base || (pass == 1 && count == base && withExtra > 0)) {
          if (count == base) {
            withExtra--;
          }
          out.put(p, owner);
          counts.put(owner, count + 1);
        }
      }
    }
    for (int p = 0; p < partitions; p++) {
      if (!out.containsKey(p)) {
        unassigned.add(p);
      }
    }
    for (int p : unassigned) {
      String least = null;
      for (String m : readers) {
        int count = counts.get(m);
        boolean room = count < base || (count == base && withExtra > 0);
        if (room && (least == null || count < counts.get(least))) {
          least = m;
        }
      }
      if (counts.get(least) == base) {
        withExtra--;
      }
      out.put(p, least);
      counts.merge(least, 1, Integer::sum);
    }
    return out;
  }
}
