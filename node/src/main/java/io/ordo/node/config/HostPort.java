package io.ordo.node.config;

/** A host:port address as written in configuration. */
public record HostPort(String host, int port) {
  public HostPort {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("address has no host");
    }
    if (port <= 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range");
    }
  }

  /** Parses {@code host:port}. */
  public static HostPort parse(String text) {
    int colon = text == null ? -1 : text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("'" + text + "' is not host:port");
    }
    try {
      return new HostPort(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' has no numeric port");
    }
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
