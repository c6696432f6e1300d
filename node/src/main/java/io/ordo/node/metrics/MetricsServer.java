package io.ordo.node.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * Serves {@link NodeMetrics} over HTTP for Prometheus: GET /metrics; and GET /health, 200 once the
 * node serves clients (as gRPC health's "" service says), else 503: a probe for orchestrators that
 * cannot speak TLS to the client port (Kubernetes' gRPC probes are plaintext). One thread (the
 * server's own) answers, one request at a time; it reads what the node already holds and never
 * waits on it.
 */
public final class MetricsServer implements AutoCloseable {
  private static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /** Listens on {@code address} and answers scrapes of {@code metrics}, and health checks by {@code serving}. */
  public static MetricsServer start(InetSocketAddress address, NodeMetrics metrics, BooleanSupplier serving) throws IOException {
    HttpServer server = HttpServer.create(address, 0);
    server.createContext("/", exchange -> {
      try (exchange) {
        String path = exchange.getRequestURI().getPath();
        if (!path.equals("/metrics") && !path.equals("/health")) {
          respond(exchange, 404, "text/plain", "not found: Ordo serves its metrics at /metrics and its health at /health\n");
        } else if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
          exchange.getResponseHeaders().set("Allow", "GET, HEAD");
          respond(exchange, 405, "text/plain", "use GET\n");
        } else if (path.equals("/health")) {
          boolean up = serving.getAsBoolean();
          respond(exchange, up ? 200 : 503, "text/plain", up ? "SERVING\n" : "NOT_SERVING\n");
        } else {
          respond(exchange, 200, TEXT_FORMAT, metrics.scrape());
        }
      }
    });
    server.start();
    return new MetricsServer(server);
  }

  private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The port it listens on (the one asked for, or the one given for port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
