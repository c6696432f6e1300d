package io.ordo.it.cluster;

import static io.ordo.it.cluster.ClusterChecks.awaitHealthy;
import static io.ordo.it.cluster.ClusterChecks.awaitLeaders;

import io.ordo.client.OrdoClient;
import io.ordo.client.TopicInfo;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's 3-node {@link ProcessCluster} and a client of it: started, in
 * target/clusters/(class name), before the class's {@code @BeforeAll} methods and once every node
 * answers; closed after its {@code @AfterAll} methods. Register it in a static field with
 * {@code @RegisterExtension}.
 */
public final class ClusterExtension implements BeforeAllCallback, AfterAllCallback {
  private static final int NODES = 3;

  private final Map<String, String> nodeOptions;
  private final Map<String, String> environment;
  private ProcessCluster processes;
  private OrdoClient client;

  /** {@code nodeOptions} are ordo-node flags for every node. */
  public ClusterExtension(Map<String, String> nodeOptions) {
    this(nodeOptions, Map.of());
  }

  /** ... and {@code environment}, variables added to every node's environment. */
  public ClusterExtension(Map<String, String> nodeOptions, Map<String, String> environment) {
    this.nodeOptions = nodeOptions;
    this.environment = environment;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    processes = ProcessCluster.start(
        ProcessCluster.freshDirectory(context.getRequiredTestClass().getSimpleName()), NODES, nodeOptions, environment);
    client = OrdoClient.builder().bootstrap(processes.bootstrap()).build();
    awaitHealthy(client, NODES);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (client != null) {
      client.close();
    }
    if (processes != null) {
      processes.close();
    }
  }

  /** Creates topic {@code name}, a replica on every node, and waits until each partition has a leader. */
  public TopicInfo createTopic(String name, int partitions) {
    client.admin().createTopic(name, partitions, NODES);
    return awaitLeaders(client, name);
  }

  public ProcessCluster processes() {
    return processes;
  }

  public OrdoClient client() {
    return client;
  }
}
