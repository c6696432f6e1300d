package io.ordo.jraft;

import com.alipay.remoting.ConnectionEventType;
import com.alipay.remoting.LifeCycleException;
import com.alipay.remoting.ProtocolCode;
import com.alipay.remoting.ProtocolManager;
import com.alipay.remoting.config.BoltClientOption;
import com.alipay.remoting.rpc.RpcConfigs;
import com.alipay.remoting.rpc.protocol.RpcCommandCode;
import com.alipay.remoting.rpc.protocol.RpcProtocol;
import com.alipay.remoting.rpc.protocol.RpcProtocolV2;
import com.alipay.remoting.rpc.protocol.RpcResponseProcessor;
import com.alipay.sofa.jraft.ReplicatorGroup;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.rpc.InvokeCallback;
import com.alipay.sofa.jraft.rpc.InvokeContext;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequest;
import com.alipay.sofa.jraft.rpc.impl.BoltRaftRpcFactory;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcClient;
import com.alipay.sofa.jraft.error.RemotingException;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.SPI;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jraft's RPC on one Bolt client for every Raft group of the JVM (jraft's own factory gives each
 * group a client: 2-4 threads and a connection per peer, per group). jraft asks for a client per
 * group; each gets a view of the shared one, which it may start and stop as its own. Found by
 * jraft's service loader (META-INF/services), over jraft's factory by priority.
 */
@SPI(priority = 100)
public final class SharedClientRpcFactory extends BoltRaftRpcFactory {
  private static final Logger LOG = LoggerFactory.getLogger(SharedClientRpcFactory.class);
  /**
   * Runs the answers to votes, snapshot and read-index requests, which jraft would run on a pool
   * per group (the pool stays, idle, with no thread), and the answers to batches of heartbeats and
   * of appends.
   */
  private static final int CALLBACK_THREADS = 4;
  /** Answers waiting for a callback thread; past it Bolt's I/O thread runs the answer itself. */
  private static final int CALLBACK_BACKLOG = 100_000;
  /**
   * Bytes a connection to a peer may hold unsent before sends to it are refused ("maybe write
   * overflow"), and the level it must fall to before they are taken again. jraft sets 512 KiB for
   * a client of one group; this connection carries every group's appends to the peer, and at a
   * thousand partitions under load 512 KiB was passed every few seconds: every group's sends
   * refused at once, heartbeats too, leaders stepping down and writes stalling for seconds.
   */
  static final int WRITE_BUFFER_HIGH_WATER_MARK = 32 * 1024 * 1024;
  static final int WRITE_BUFFER_LOW_WATER_MARK = 16 * 1024 * 1024;

  private final Object lock = new Object();
  /** The groups to tell when a connection to a peer opens, so a leader resumes replicating to it. */
  private final Set<ReplicatorGroup> connectListeners = ConcurrentHashMap.newKeySet();
  private BoltRpcClient shared;
  private ThreadPoolExecutor callbacks;
  private HeartbeatCoalescer heartbeats;
  private AppendCoalescer appends;
  /** The TLS of the connections the shared client opens; null: plaintext. */
  private RaftPortTls tls;

  /**
   * Has the Raft client of this JVM speak TLS: before any group starts (the client opens its first
   * connections then), and the same for every group.
   */
  public static void secure(RaftPortTls tls) {
    if (!(RpcFactoryHelper.rpcFactory() instanceof SharedClientRpcFactory factory)) {
      throw new IllegalStateException("jraft's RPC factory is " + RpcFactoryHelper.rpcFactory().getClass().getName()
          + ", not " + SharedClientRpcFactory.class.getName() + ": is ordo's jraft jar on the class path?");
    }
    synchronized (factory.lock) {
      if (factory.shared != null && factory.tls != tls) {
        throw new IllegalStateException("the Raft client already runs, with other TLS settings");
      }
      factory.tls = tls;
    }
  }

  @Override
  public RpcClient createRpcClient(ConfigHelper<RpcClient> helper) {
    RpcClient view = new GroupView();
    if (helper != null) {
      helper.config(view);
    }
    return view;
  }

  private BoltRpcClient shared(RpcOptions options) {
    synchronized (lock) {
      if (shared == null) {
        // The client keeps what it is initialised with: a copy of what it reads, not one group's
        // options (which hold that group's state machine).
        RpcOptions clientOptions = new RpcOptions();
        clientOptions.setEnableRpcChecksum(options.isEnableRpcChecksum());
        clientOptions.setEnableBoltReconnect(options.isEnableBoltReconnect());
        com.alipay.remoting.rpc.RpcClient bolt = new com.alipay.remoting.rpc.RpcClient() {
          @Override
          public void startup() throws LifeCycleException {
            // BoltRpcClient.init sets jraft's per-group water marks just before this.
            initWriteBufferWaterMark(WRITE_BUFFER_LOW_WATER_MARK, WRITE_BUFFER_HIGH_WATER_MARK);
            super.startup();
          }
        };
        if (tls != null) {
          bolt.option(BoltClientOption.EXTENDED_NETTY_CHANNEL_HANDLER, tls.clientHandlers());
        }
        BoltRpcClient client = new BoltRpcClient(bolt);
        client.init(clientOptions);
        answerOnIoThreads();
        client
            .getRpcClient()
            .addConnectionEventProcessor(
                ConnectionEventType.CONNECT,
                (remoteAddress, connection) -> {
                  PeerId peer = new PeerId();
                  if (peer.parse(remoteAddress)) {
                    for (ReplicatorGroup group : connectListeners) {
                      try {
                        group.checkReplicator(peer, true);
                      } catch (RuntimeException e) {
                        LOG.warn("a group could not resume replicating to {}", peer, e);
                      }
                    }
                  }
                });
        callbacks =
            new ThreadPoolExecutor(
                CALLBACK_THREADS,
                CALLBACK_THREADS,
                60,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(CALLBACK_BACKLOG),
                DaemonThreads.numbered("ordo-raft-rpc-callback"),
                new ThreadPoolExecutor.CallerRunsPolicy());
        callbacks.allowCoreThreadTimeOut(true);
        heartbeats = new HeartbeatCoalescer(client, callbacks);
        appends = new AppendCoalescer(client, callbacks);
        shared = client;
      }
      return shared;
    }
  }

  /** The Bolt client every group's view uses; null until the first group starts. */
  com.alipay.remoting.rpc.RpcClient boltClient() {
    synchronized (lock) {
      return shared == null ? null : shared.getRpcClient();
    }
  }

  /**
   * Has Bolt's I/O threads hand each answer straight to its callback's executor. By default Bolt
   * hands every answer (and every list of decoded messages) to its "Bolt-default-executor" pool
   * first, only for that thread to hand it on to jraft's executor: a wake-up and two context
   * switches per Raft message for nothing, as every callback jraft gives has an executor of its
   * own (the per-peer append executors, the group's RPC pool, or ours above). Measured with
   * bench/ab.sh: 5% fewer context switches per produce request on a 3-node cluster. Bolt's
   * protocols are JVM-wide, which is why this is done once, with the shared client.
   */
  private static void answerOnIoThreads() {
    System.setProperty(RpcConfigs.DISPATCH_MSG_LIST_IN_DEFAULT_EXECUTOR, "false");
    for (byte code : new byte[] {RpcProtocol.PROTOCOL_CODE, RpcProtocolV2.PROTOCOL_CODE}) {
      ProtocolManager.getProtocol(ProtocolCode.fromBytes(code))
          .getCommandHandler()
          .registerProcessor(RpcCommandCode.RPC_RESPONSE, new RpcResponseProcessor(ImmediateEventExecutor.INSTANCE));
    }
  }

  /**
   * One group's client: the shared one, which the group may start and stop without touching it.
   * A group started on threads of its own (the cluster's metadata) sends its AppendEntries alone,
   * as jraft does; the others' leave in batches with other groups' to the same peer.
   */
  private final class GroupView implements RpcClient {
    private final boolean coalesce = !SharedDisruptors.startingDedicated();
    private volatile BoltRpcClient client;
    private volatile HeartbeatCoalescer heartbeatBatches;
    private volatile AppendCoalescer appendBatches;
    private volatile ReplicatorGroup listener;

    @Override
    public boolean init(RpcOptions options) {
      client = shared(options);
      synchronized (lock) {
        heartbeatBatches = heartbeats;
        appendBatches = appends;
      }
      return true;
    }

    @Override
    public void shutdown() {
      ReplicatorGroup group = listener;
      if (group != null) {
        connectListeners.remove(group);
      }
    }

    @Override
    public boolean checkConnection(Endpoint endpoint) {
      return client.checkConnection(endpoint);
    }

    @Override
    public boolean checkConnection(Endpoint endpoint, boolean createIfAbsent) {
      return client.checkConnection(endpoint, createIfAbsent);
    }

    /** Other groups use the connection: it stays open (jraft 1.4.1 never asks this). */
    @Override
    public void closeConnection(Endpoint endpoint) {}

    @Override
    public void registerConnectEventListener(ReplicatorGroup replicatorGroup) {
      listener = replicatorGroup;
      connectListeners.add(replicatorGroup);
    }

    @Override
    public Object invokeSync(Endpoint endpoint, Object request, InvokeContext ctx, long timeoutMs)
        throws InterruptedException, RemotingException {
      return client.invokeSync(endpoint, request, ctx, timeoutMs);
    }

    @Override
    public void invokeAsync(
        Endpoint endpoint, Object request, InvokeContext ctx, InvokeCallback callback, long timeoutMs)
        throws InterruptedException, RemotingException {
      if (coalesce && HeartbeatCoalescer.isHeartbeat(request)) {
        heartbeatBatches.send(endpoint, (AppendEntriesRequest) request, onSharedPool(callback), timeoutMs);
      } else if (coalesce && AppendCoalescer.carriesEntries(request)) {
        appendBatches.send(endpoint, (AppendEntriesRequest) request, callback, timeoutMs);
      } else {
        client.invokeAsync(endpoint, request, ctx, onSharedPool(callback), timeoutMs);
      }
    }

    /**
     * A callback bound for the group's own pool (a ThreadPoolExecutor) runs on the shared one
     * instead. Appends' callbacks keep their executor: jraft's single-threaded append executors
     * keep each peer's answers in order.
     */
    private InvokeCallback onSharedPool(InvokeCallback callback) {
      if (!(callback.executor() instanceof ThreadPoolExecutor)) {
        return callback;
      }
      Executor pool = callbacks;
      return new InvokeCallback() {
        @Override
        public void complete(Object result, Throwable err) {
          callback.complete(result, err);
        }

        @Override
        public Executor executor() {
          return pool;
        }
      };
    }
  }
}
