package io.ordo.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import org.junit.jupiter.api.Test;

class OrdoStatusTest {
  @Test
  void notLeaderTravelsAsUnavailableWithTheLeadersAddress() {
    ErrorDetail detail =
        ErrorDetail.newBuilder()
            .setCode(ErrorCode.NOT_LEADER)
            .setLeaderNodeId(2)
            .setLeaderAddress("127.0.0.1:9102")
            .build();
    StatusRuntimeException e = OrdoStatus.exception(detail, "node 1 is not the leader");
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).isEqualTo("node 1 is not the leader");
    assertThat(OrdoStatus.detailOf(e)).contains(detail);
  }

  @Test
  void everyErrorCodeHasAStatusCode() {
    for (ErrorCode code : ErrorCode.values()) {
      if (code != ErrorCode.UNRECOGNIZED) {
        assertThat(OrdoStatus.statusCodeOf(code)).isNotNull();
      }
    }
    assertThat(OrdoStatus.statusCodeOf(ErrorCode.OFFSET_OUT_OF_RANGE)).isEqualTo(Status.Code.OUT_OF_RANGE);
  }

  @Test
  void plainStatusHasNoDetail() {
    assertThat(OrdoStatus.detailOf(Status.UNAVAILABLE.asRuntimeException())).isEmpty();
  }
}
