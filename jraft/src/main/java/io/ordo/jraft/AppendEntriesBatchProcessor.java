package io.ordo.jraft;

import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.rpc.Connection;
import com.alipay.sofa.jraft.rpc.RpcContext;
import com.alipay.sofa.jraft.rpc.RpcProcessor;
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
 * Answers an {@link AppendEntriesBatch}: each request goes to jraft's AppendEntries handler on the
 * thread a lone request of that group and leader would run on ({@link RaftRequestProcessors}), as
 * if it had come alone on the batch's connection (jraft keeps a pipelined leader's sequence per
 * connection), and the answers go back together, in order, once all are in. Requests of one group
 * reach its thread in the order they were sent: batches are read in order from the connection, and
 * each batch's requests are handed on in order here. On the shared request pool instead, a batch
 * of heartbeats waited behind an election storm's votes until all timed out together, and the
 * followers then started elections of their own.
 */
final class AppendEntriesBatchProcessor implements RpcProcessor<AppendEntriesBatch.Request> {
  private final RaftRequestProcessors.StripedAppendEntries appends;

  AppendEntriesBatchProcessor(RaftRequestProcessors.StripedAppendEntries appends) {
    this.appends = appends;
    AppendEntriesBatch.registerCodec();
  }

  @Override
  public void handleRequest(RpcContext context, AppendEntriesBatch.Request batch) {
    List<AppendEntriesRequest> parts = batch.parts();
    if (parts.isEmpty()) {
      context.sendResponse(new AppendEntriesBatch.Replies(List.of()));
      return;
    }
    Message[] answers = new Message[parts.size()];
    AtomicInteger left = new AtomicInteger(parts.size());
    for (int i = 0; i < answers.length; i++) {
      AppendEntriesRequest part = parts.get(i);
      RpcContext partContext = new PartContext(context, answers, i, left);
      try {
        appends.executorFor(part.getGroupId(), part.getPeerId(), part.getServerId())
            .execute(() -> appends.handleRequest(partContext, part));
      } catch (RejectedExecutionException full) {
        partContext.sendResponse(RpcFactoryHelper.responseFactory().newResponse(AppendEntriesResponse.getDefaultInstance(),
            RaftError.EBUSY, "the follower threads are full; a request of %s dropped", part.getGroupId()));
      }
    }
  }

  /**
   * One request's place in the batch: its answer is kept there, and the last answer in sends them
   * all. jraft answers each request once; an answer it drops (a pipeline context closed with its
   * connection) leaves the batch unanswered, and the leader's wait for it times out, as a lone
   * request's would.
   */
  private record PartContext(RpcContext batch, Message[] answers, int at, AtomicInteger left) implements RpcContext {
    @Override
    public void sendResponse(Object response) {
      answers[at] = (Message) response;
      if (left.decrementAndGet() == 0) {
        batch.sendResponse(new AppendEntriesBatch.Replies(Arrays.asList(answers)));
      }
    }

    @Override
    public Connection getConnection() {
      return batch.getConnection();
    }

    @Override
    public String getRemoteAddress() {
      return batch.getRemoteAddress();
    }
  }

  /**
   * The I/O thread that read the batch hands its requests to their threads itself: quick, and
   * Bolt's default pool would only add a wake-up per batch before that.
   */
  @Override
  public Executor executor() {
    return Runnable::run;
  }

  @Override
  public String interest() {
    return AppendEntriesBatch.Request.class.getName();
  }
}
