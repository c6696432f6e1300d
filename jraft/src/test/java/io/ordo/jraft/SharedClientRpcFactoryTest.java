package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.remoting.Connection;
import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcServer;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;
import io.netty.channel.ChannelConfig;
import org.junit.jupiter.api.Test;

class SharedClientRpcFactoryTest {
  @Test
  void aPeersConnectionHoldsEveryGroupsSendsUpToTheSharedWaterMarkNotJraftsPerGroupOne() throws Exception {
    Endpoint peer = new Endpoint("127.0.0.1", LoopbackPorts.free());
    BoltRpcServer server = new BoltRpcServer(new com.alipay.remoting.rpc.RpcServer("127.0.0.1", peer.getPort(), true));
    server.init(null);
    RpcClient group = RpcFactoryHelper.rpcFactory().createRpcClient(null);
    try {
      group.init(new RpcOptions());
      Connection connection =
          ((SharedClientRpcFactory) RpcFactoryHelper.rpcFactory()).boltClient().getConnection(peer.toString(), 5_000);
      ChannelConfig channel = connection.getChannel().config();
      assertThat(channel.getWriteBufferHighWaterMark()).isEqualTo(SharedClientRpcFactory.WRITE_BUFFER_HIGH_WATER_MARK);
      assertThat(channel.getWriteBufferLowWaterMark()).isEqualTo(SharedClientRpcFactory.WRITE_BUFFER_LOW_WATER_MARK);
    } finally {
      group.shutdown();
      server.shutdown();
    }
  }

}
