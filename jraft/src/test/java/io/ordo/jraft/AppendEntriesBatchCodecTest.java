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

  /** The bytes a batch travels as, and the requests the receiving end read from them. */
  private record Received(byte[] wire, List<AppendEntriesRequest> parts) {}

  private static Received roundTrip(List<AppendEntriesRequest> parts) throws Exception {
    RpcRequestCommand sent = new RpcRequestCommand(new AppendEntriesBatch.Request(parts));
    AppendEntriesBatch.Codec.INSTANCE.serializeContent(sent, null);
    RpcRequestCommand received = new RpcRequestCommand();
    received.setContent(sent.getContent());
    AppendEntriesBatch.Codec.INSTANCE.deserializeContent(received);
    return new Received(sent.getContent(), ((AppendEntriesBatch.Request) received.getRequestObject()).parts());
  }

  @Test
  void aBatchReadsBackAsItsRequestsInOrder() throws Exception {
    List<AppendEntriesRequest> parts = List.of(append("a", 7, "first entries"), append("b", 2, ""), append("a", 8, "x"));
    assertThat(roundTrip(parts).parts()).isEqualTo(parts);
  }

  /** The parse leaves a follower's entries in the received message (and jraft, patched, slices them from it). */
  @Test
  void theEntriesOfAReceivedRequestStayInTheReceivedBytes() throws Exception {
    String data = "entries of the second request";
    Received received = roundTrip(List.of(append("a", 7, "other"), append("b", 2, data)));

    byte[] dataBytes = data.getBytes(StandardCharsets.UTF_8);
    int at = indexOf(received.wire(), dataBytes);
    assertThat(at).isPositive();
    received.wire()[at] = 'E';
    assertThat(received.parts().get(1).getData().toStringUtf8()).isEqualTo("E" + data.substring(1));
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
