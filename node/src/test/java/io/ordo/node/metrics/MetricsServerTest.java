package io.ordo.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.raft.partition.AppendWaiters;
import io.ordo.raft.partition.ParkedReads;
import io.ordo.raft.partition.PendingBytes;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  private final NodeMetrics metrics = new NodeMetrics();
  private final MetricsServer server;
  private final HttpClient http = HttpClient.newHttpClient();
  private volatile boolean serving;

  MetricsServerTest() throws Exception {
    server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), metrics, () -> serving);
  }

  @AfterEach
  void stop() {
    server.close();
    metrics.close();
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesEachWriteStageAsAHistogramInPrometheusFormat() throws Exception {
    metrics.writeStages().record(TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.MILLISECONDS.toNanos(2));

    HttpResponse<String> response = send("GET", "/metrics");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    assertThat(response.body())
        .contains("ordo_write_stage_seconds_count{stage=\"queued\"} 1")
        .contains("ordo_write_stage_seconds_count{stage=\"replicated\"} 1")
        .contains("ordo_write_stage_seconds_count{stage=\"applied\"} 1")
        .contains("ordo_write_stage_seconds_bucket{stage=\"replicated\",le=")
        .contains("ordo_write_seconds_sum 0.023")
        .contains("jvm_memory_used_bytes");
  }

  @Test
  void servesTheBytesWaitingForCommitAgainstTheirBound() throws Exception {
    metrics.watchPendingBytes(new PendingBytes(4_096));

    assertThat(send("GET", "/metrics").body())
        .containsPattern("(?m)^ordo_pending_bytes 0\\.0$")
        .containsPattern("(?m)^ordo_pending_bytes_max 4096\\.0$");
  }

  @Test
  void countsProduceManyRequestsByOutcome() throws Exception {
    var outcomes = metrics.produceOutcomes();
    outcomes.accept("appended");
    outcomes.accept("appended");
    outcomes.accept("NOT_LEADER");

    assertThat(send("GET", "/metrics").body())
        .containsPattern("(?m)^ordo_produce_requests_total\\{outcome=\"appended\"} 2\\.0$")
        .containsPattern("(?m)^ordo_produce_requests_total\\{outcome=\"NOT_LEADER\"} 1\\.0$");
  }

  @Test
  void servesTheParkedReadsAgainstTheirBound() throws Exception {
    ParkedReads parked = new ParkedReads(3);
    AppendWaiters partition = new AppendWaiters(10, parked, Runnable::run);
    partition.park(() -> {});
    metrics.watchParkedReads(parked);

    assertThat(send("GET", "/metrics").body())
        .containsPattern("(?m)^ordo_parked_reads 1\\.0$")
        .containsPattern("(?m)^ordo_parked_reads_max 3\\.0$");
  }

  @Test
  void answersOtherPathsAndMethodsWithAnError() throws Exception {
    assertThat(send("GET", "/").statusCode()).isEqualTo(404);
    assertThat(send("POST", "/metrics").statusCode()).isEqualTo(405);
  }

  @Test
  void healthSaysWhetherTheNodeServesClients() throws Exception {
    assertThat(send("GET", "/health").statusCode()).isEqualTo(503);
    serving = true;
    HttpResponse<String> up = send("GET", "/health");
    assertThat(up.statusCode()).isEqualTo(200);
    assertThat(up.body()).isEqualTo("SERVING\n");
  }
}
