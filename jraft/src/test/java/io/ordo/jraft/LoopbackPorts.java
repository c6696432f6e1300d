package io.ordo.jraft;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports for the tests' servers, on loopback only. */
final class LoopbackPorts {
  private LoopbackPorts() {}

  /** A port free on loopback now (another process may still take it before the test binds it). */
  static int free() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
