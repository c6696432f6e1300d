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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Answers a {@link HeartbeatBatch}: each heartbeat goes to its group's node as jraft's own
 * AppendEntries handler would pass it, and the answers go back together, in order. A node answers
 * a heartbeat at once, without the closure (which would answer alone); the closure here drops
 * anything sent through it.
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

  private final Executor executor;

  HeartbeatBatchProcessor(Executor executor) {
    this.executor = executor;
    HeartbeatBatch.registerCodec();
  }

  @Override
  public void handleRequest(RpcContext context, HeartbeatBatch.Request batch) {
    List<Message> answers = new ArrayList<>(batch.heartbeats().size());
    for (AppendEntriesRequest heartbeat : batch.heartbeats()) {
      answers.add(answer(heartbeat));
    }
    context.sendResponse(new HeartbeatBatch.Replies(answers));
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

  @Override
  public String interest() {
    return HeartbeatBatch.Request.class.getName();
  }

  @Override
  public Executor executor() {
    return executor;
  }
}
