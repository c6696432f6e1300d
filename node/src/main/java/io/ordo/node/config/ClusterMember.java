package io.ordo.node.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A node of the initial cluster: its id and its Raft and client addresses. */
public record ClusterMember(int nodeId, HostPort raftAddress, HostPort clientAddress) {
  /**
   * Parses {@code ID=RAFT_HOST:PORT/CLIENT_HOST:PORT[,...]}, for example
   * {@code 1=10.0.0.1:9201/10.0.0.1:9101,2=10.0.0.2:9201/10.0.0.2:9101}.
   */
  public static List<ClusterMember> parseList(String text) {
    List<ClusterMember> members = new ArrayList<>();
    Set<Integer> ids = new HashSet<>();
    for (String item : text.split(",")) {
      String s = item.trim();
      int eq = s.indexOf('=');
      int slash = s.indexOf('/');
      if (eq <= 0 || slash < eq) {
        throw new IllegalArgumentException(
            "'" + s + "' is not ID=RAFT_HOST:PORT/CLIENT_HOST:PORT (as in 1=127.0.0.1:9201/127.0.0.1:9101)");
      }
      int id;
      try {
        id = Integer.parseInt(s.substring(0, eq));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("node id in '" + s + "' is not a number");
      }
      if (id <= 0) {
        throw new IllegalArgumentException("node ids must be positive: " + id);
      }
      if (!ids.add(id)) {
        throw new IllegalArgumentException("node id " + id + " appears twice in the initial cluster");
      }
      members.add(
          new ClusterMember(id, HostPort.parse(s.substring(eq + 1, slash)), HostPort.parse(s.substring(slash + 1))));
    }
    return members;
  }
}
