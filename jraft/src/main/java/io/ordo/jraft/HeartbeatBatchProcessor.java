package io.ordo.jraft;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.NodeManager;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.rpc.Connection;
import com.alipay.sofa.jraft.rpc.RaftServerService;
import com.alipay.sofa.jraft.rpc.RpcContext;
import com.alipay.sofa.jraft.rpc.RpcProcessor;
import com.alipay.sofa.jraft.rpc.RpcRequestClosure;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequest;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesResponse;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;
import com.google.protobuf.Message;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Answers a {@link HeartbeatBatch}: each heartbeat goes to its group's node on the follower thread
 * a lone heartbeat of that group and leader would run on ({@link RaftRequestProcessors}), as
 * jraft's own AppendEntries handler would pass it, and the answers go back together, in order,
 * once all are in. On the shared request pool instead, a batch waited behind an election storm's
 * votes until all its heartbeats timed out together, and the followers then started elections of
 * their own. A node answers a heartbeat at once, without the closure (which would answer alone);
 * the closure here drops anything sent through it.
 */
final class HeartbeatBatchProcessor implements RpcProcessor<HeartbeatBatch.Request> {
  private static final RpcRequestClosure UNUSED = new RpcRequestClosure(new RpcContext() {
    @Override
    public void sendResponse(Object response) {}

    @Override
    public Connection getConnection() {
      return null;
    }

    @Override
    public String getRemoteAddress() {
      return null;
    }
  });

  HeartbeatBatchProcessor() {
    HeartbeatBatch.registerCodec();
  }

  @Override
  public void handleRequest(RpcContext context, HeartbeatBatch.Request batch) {
    List<AppendEntriesRequest> heartbeats = batch.heartbeats();
    if (heartbeats.isEmpty()) {
      context.sendResponse(new HeartbeatBatch.Replies(List.of()));
      return;
    }
    Message[] answers = new Message[heartbeats.size()];
    AtomicInteger left = new AtomicInteger(heartbeats.size());
    for (int i = 0; i < answers.length; i++) {
      int at = i;
      AppendEntriesRequest heartbeat = heartbeats.get(at);
      try {
        RaftRequestProcessors.followerThread(heartbeat.getGroupId(), heartbeat.getPeerId(), heartbeat.getServerId())
            .execute(() -> settle(answers, at, answer(heartbeat), left, context));
      } catch (RejectedExecutionException full) {
        settle(answers, at, error(RaftError.EBUSY, "the follower threads are full; heartbeat of " + heartbeat.getGroupId() + " dropped"),
            left, context);
      }
    }
  }

  /** Records heartbeat {@code at}'s answer; the last one answered sends them all. */
  private static void settle(Message[] answers, int at, Message answer, AtomicInteger left, RpcContext context) {
    answers[at] = answer;
    if (left.decrementAndGet() == 0) {
      context.sendResponse(new HeartbeatBatch.Replies(Arrays.asList(answers)));
    }
  }

  private static Message answer(AppendEntriesRequest heartbeat) {
    PeerId peer = new PeerId();
    if (!peer.parse(heartbeat.getPeerId())) {
      return error(RaftError.EINVAL, "Fail to parse peerId: " + heartbeat.getPeerId());
    }
    Node node = NodeManager.getInstance().get(heartbeat.getGroupId(), peer);
    if (node == null) {
      return error(RaftError.ENOENT, "Peer id not found: " + heartbeat.getPeerId() + ", group: " + heartbeat.getGroupId());
    }
    Message answer = ((RaftServerService) node).handleAppendEntriesRequest(heartbeat, UNUSED);
    return answer != null ? answer : error(RaftError.EINTERNAL, "no immediate answer to a heartbeat of " + heartbeat.getGroupId());
  }

  private static Message error(RaftError code, String message) {
    return RpcFactoryHelper.responseFactory().newResponse(AppendEntriesResponse.getDefaultInstance(), code, "%s", message);
  }

  /**
   * The I/O thread that read the batch hands its heartbeats to their follower threads itself:
   * quick, and Bolt's default pool would only add a wake-up per batch before that.
   */
  @Override
  public Executor executor() {
    return Runnable::run;
  }

  @Override
  public String interest() {
    return HeartbeatBatch.Request.class.getName();
  }
}
