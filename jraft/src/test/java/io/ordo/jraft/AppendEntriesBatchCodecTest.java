package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.remoting.rpc.protocol.RpcRequestCommand;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesRequest;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The wire form of a batch of AppendEntries requests, read back as jraft would get them. */
class AppendEntriesBatchCodecTest {
  private static AppendEntriesRequest append(String group, long index, String data) {
    return AppendEntriesRequest.newBuilder()
        .setGroupId(group)
        .setServerId("127.0.0.1:1")
        .setPeerId("127.0.0.1:2")
        .setTerm(3)
        .setPrevLogTerm(3)
        .setPrevLogIndex(index - 1)
        .setCommittedIndex(index - 1)
        .setData(ByteString.copyFrom(data, StandardCharsets.UTF_8))
        .build();
  }

  private static List<AppendEntriesRequest> roundTrip(List<AppendEntriesRequest> parts, byte[][] wire) throws Exception {
    RpcRequestCommand sent = new RpcRequestCommand(new AppendEntriesBatch.Request(parts));
    AppendEntriesBatch.Codec.INSTANCE.serializeContent(sent, null);
    RpcRequestCommand received = new RpcRequestCommand();
    received.setContent(sent.getContent());
    wire[0] = sent.getContent();
    AppendEntriesBatch.Codec.INSTANCE.deserializeContent(received);
    return ((AppendEntriesBatch.Request) received.getRequestObject()).parts();
  }

  @Test
  void aBatchReadsBackAsItsRequestsInOrder() throws Exception {
    List<AppendEntriesRequest> parts = List.of(append("a", 7, "first entries"), append("b", 2, ""), append("a", 8, "x"));
    assertThat(roundTrip(parts, new byte[1][])).isEqualTo(parts);
  }

  /** A follower's entries are copied once, by jraft, out of the received message: not also by the parse. */
  @Test
  void theEntriesOfAReceivedRequestStayInTheReceivedBytes() throws Exception {
    byte[][] wire = new byte[1][];
    String data = "entries of the second request";
    List<AppendEntriesRequest> received = roundTrip(List.of(append("a", 7, "other"), append("b", 2, data)), wire);

    byte[] dataBytes = data.getBytes(StandardCharsets.UTF_8);
    int at = indexOf(wire[0], dataBytes);
    assertThat(at).isPositive();
    wire[0][at] = 'E';
    assertThat(received.get(1).getData().toStringUtf8()).isEqualTo("E" + data.substring(1));
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    return -1;
  }
}
