package io.ordo.it.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for test nodes to listen on, chosen outside the kernel's ephemeral range: a
 * port the kernel hands out for ServerSocket(0) is from that range, and between closing the probe
 * and the node binding it, any outgoing connection on the machine may be given it (a node then
 * failed to start with "Address already in use"). Outside the range only listeners bind, and this
 * JVM never hands the same port out twice.
 */
final class LoopbackPorts {
  private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
  private static final int LOWEST = 10_000;
  private static final int HIGHEST = 65_535;
  /** Below the range when it leaves at least this many ports there, else above it. */
  private static final int ENOUGH_PORTS = 5_000;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private LoopbackPorts() {}

  static int free() {
    int[] ephemeral = ephemeralRange();
    boolean below = ephemeral[0] - LOWEST >= ENOUGH_PORTS;
    int from = below ? LOWEST : ephemeral[1] + 1;
    int to = below ? ephemeral[0] - 1 : HIGHEST;
    for (int attempt = 0; attempt < 1_000 && from <= to; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(from, to + 1);
      if (!HANDED_OUT.contains(port) && bindable(port) && HANDED_OUT.add(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free loopback port in " + from + ".." + to);
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  /** The kernel's ephemeral port range, or Linux's default where it cannot be read. */
  private static int[] ephemeralRange() {
    try {
      String[] bounds = Files.readString(EPHEMERAL_RANGE).trim().split("\\s+");
      return new int[] {Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1])};
    } catch (IOException | RuntimeException e) {
      return new int[] {32_768, 60_999};
    }
  }
}
