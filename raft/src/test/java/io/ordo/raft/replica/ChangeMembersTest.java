package io.ordo.raft.replica;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.util.Endpoint;
import io.ordo.raft.log.RaftLogStore;
import io.ordo.raft.multiraft.RaftHost;
import io.ordo.raft.multiraft.RaftSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changes of a real jraft group's members through {@link RaftMember}, four nodes in this JVM on
 * loopback, in a group nothing else writes to (as the metadata group is while a node leaves).
 */
class ChangeMembersTest {
  private static final String GROUP = "members";
  /** Ample for a change of an idle, caught-up group on a slow machine; a stuck one never ends. */
  private static final long CHANGE_DEADLINE_MS = 20_000;
  private static final long ELECTION_DEADLINE_MS = 30_000;
  /**
   * Swaps of a voter for a caught-up learner, each a chance for jraft's catch-up race (see
   * RaftMember.changeMembers): without the empty entry, one of the first few dozen got stuck in
   * every run here.
   */
  private static final int SWAPS = 100;

  @TempDir Path dir;
  private final List<RaftHost> hosts = new ArrayList<>();
  private final List<RaftLogStore> logs = new ArrayList<>();
  private final List<Member> members = new ArrayList<>();

  /** Applies nothing: answers each entry's closure, if any. */
  static final class Member extends RaftMember {
    @Override
    public void onApply(Iterator iter) {
      while (iter.hasNext()) {
        if (iter.done() != null) {
          iter.done().run(Status.OK());
        }
        iter.next();
      }
    }
  }

  @AfterEach
  void stop() {
    hosts.forEach(RaftHost::close);
    logs.forEach(RaftLogStore::close);
  }

  @Test
  void aCaughtUpLearnerTakesAVotersPlaceInAGroupNothingWritesTo() throws Exception {
    List<String> peers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Endpoint endpoint = new Endpoint("127.0.0.1", freeLoopbackPort());
      RaftLogStore log = RaftLogStore.open(dir.resolve("log-" + i));
      logs.add(log);
      RaftHost host = new RaftHost(endpoint, dir.resolve("raft-" + i), log, RaftSettings.defaults(), null);
      hosts.add(host);
      host.start();
      host.runAs(0);
      peers.add(host.selfPeer().toString());
    }
    List<String> voters = peers.subList(0, 3);
    for (int i = 0; i < 4; i++) {
      Member member = new Member();
      members.add(member);
      // The fourth waits to be taken in, as a node that joins does.
      member.bind(hosts.get(i).startMetadataGroup(GROUP, i < 3 ? voters : List.of(), member));
    }
    Member leader = awaitLeader();
    assertThat(await(leader.addLearner(peers.get(3))).isOk()).isTrue();

    for (int swap = 0; swap < SWAPS; swap++) {
      leader = awaitLeader();
      List<String> current = leader.memberPeerIds();
      String learner = leader.learnerPeerIds().get(0);
      String self = peers.get(members.indexOf(leader));
      String leaving = current.stream().filter(p -> !p.equals(self)).findFirst().orElseThrow();
      // As MembershipDriver hands a leaving node's vote on: jraft makes a learner a voter, or a
      // voter a learner, only in two changes.
      assertThat(await(leader.removeLearner(learner)).isOk()).isTrue();
      List<String> next = new ArrayList<>(current);
      next.set(next.indexOf(leaving), learner);
      Status changed = await(leader.changeMembers(next, List.of()));
      assertThat(changed.isOk()).as("swap %d: %s votes instead of %s: %s", swap, learner, leaving, changed).isTrue();
      assertThat(leader.memberPeerIds()).containsExactlyInAnyOrderElementsOf(next);
      assertThat(await(leader.addLearner(leaving)).isOk()).isTrue();
    }
  }

  private Member awaitLeader() throws InterruptedException {
    long deadline = System.currentTimeMillis() + ELECTION_DEADLINE_MS;
    while (true) {
      for (Member m : members) {
        if (m.isLeader()) {
          return m;
        }
      }
      assertThat(System.currentTimeMillis()).as("a leader within %d ms", ELECTION_DEADLINE_MS).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static Status await(CompletableFuture<Status> change) throws Exception {
    return change.get(CHANGE_DEADLINE_MS, TimeUnit.MILLISECONDS);
  }

  private static int freeLoopbackPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
