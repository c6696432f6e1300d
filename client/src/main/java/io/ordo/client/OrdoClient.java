package io.ordo.client;

import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.ordo.client.internal.BatchingProducer;
import io.ordo.client.internal.ChannelPool;
import io.ordo.client.internal.GroupMember;
import io.ordo.client.internal.QueueMember;
import io.ordo.client.internal.GrpcAdmin;
import io.ordo.client.internal.GrpcConsumer;
import io.ordo.client.internal.MetadataCache;
import io.ordo.client.internal.PasswordCredentials;
import io.ordo.client.internal.RetryPolicy;
import io.ordo.client.internal.SequencedAppends;
import io.ordo.protocol.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;

/**
 * The entry point: a connection to one Ordo cluster. It owns one gRPC channel per node address
 * and a cache of which node leads each partition, shared by every producer, consumer and admin
 * it hands out. Build with {@link #builder()}; close it when done, which closes the producers
 * (flushing them) and consumers it created. Thread-safe.
 *
 * <pre>{@code
 * try (OrdoClient client = OrdoClient.builder().bootstrap("node1:9101,node2:9101").build();
 *     Producer producer = client.producer()) {
 *   producer.send(ProducerRecord.of("orders", "order-17", "{...}")).join();
 * }
 * }</pre>
 */
public final class OrdoClient implements AutoCloseable {
  private static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  /** As Kafka's metadata.max.age.ms, shorter: a topic's new partitions reach producers within it. */
  private static final Duration DEFAULT_METADATA_MAX_AGE = Duration.ofMinutes(1);
  private static final Duration BACKOFF_MIN = Duration.ofMillis(50);
  private static final Duration BACKOFF_MAX = Duration.ofSeconds(1);

  /** How often a TLS client reads its PEM files again, so replaced certificates take effect. */
  private static final long TLS_RELOAD_SECS = 60;

  private final ChannelPool channels;
  private final MetadataCache metadata;
  private final long requestTimeoutNanos;
  private final RetryPolicy retry;
  private final ScheduledExecutorService scheduler;
  /** Runs the client's blocking calls that its callers do not wait for (a queue consumer's fallback settles). */
  private final ExecutorService blocking;
  private final Admin admin;
  private final SequencedAppends sequencedAppends;
  private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();

  private OrdoClient(Builder builder) {
    this.requestTimeoutNanos = builder.requestTimeout.toNanos();
    this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("ordo-client-scheduler"));
    ChannelCredentials transport = builder.tls == null
        ? InsecureChannelCredentials.create()
        : builder.tls.channelCredentials(scheduler, TLS_RELOAD_SECS);
    this.channels = new ChannelPool(builder.password == null
        ? transport
        : CompositeChannelCredentials.create(transport, builder.password));
    this.metadata = new MetadataCache(
        builder.bootstrap, channels, requestTimeoutNanos, builder.metadataMaxAge.toNanos(), scheduler);
    this.retry =
        new RetryPolicy(BACKOFF_MIN, BACKOFF_MAX, builder.requestTimeout);
    this.blocking = Executors.newCachedThreadPool(daemon("ordo-client-blocking"));
    this.admin = new GrpcAdmin(channels, metadata, retry);
    this.sequencedAppends = new SequencedAppends(channels, metadata, retry, requestTimeoutNanos);
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread thread = new Thread(r, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  /** A builder; {@link Builder#bootstrap} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** A new producer with the default {@link ProducerConfig}. */
  public Producer producer() {
    return producer(ProducerConfig.defaults());
  }

  /** A new producer with {@code config}. Each producer has its own sender thread and buffer. */
  public Producer producer(ProducerConfig config) {
    Objects.requireNonNull(config, "config");
    BatchingProducer producer =
        new BatchingProducer(config, channels, metadata, requestTimeoutNanos, open::remove);
    open.add(producer);
    return producer;
  }

  /**
   * A new consumer. Its fetches, and the retries of each, are bounded by the request timeout (plus
   * the fetch's wait).
   */
  public Consumer consumer() {
    GrpcConsumer consumer =
        new GrpcConsumer(channels, metadata, retry, scheduler, requestTimeoutNanos, open::remove);
    open.add(consumer);
    return consumer;
  }

  /**
   * A new member of a stream group; it joins at once and heartbeats on the client's thread.
   * Its claims, commits and fetches are retried within the request timeout.
   */
  public GroupConsumer groupConsumer(GroupConfig config) {
    Objects.requireNonNull(config, "config");
    GroupMember member =
        new GroupMember(config, channels, metadata, retry, scheduler, requestTimeoutNanos, open::remove);
    open.add(member);
    return member;
  }

  /**
   * A new consumer of queue group {@code group} (create it first: {@link Admin#createQueueGroup})
   * reading {@code topic}. Its receives and settlements are retried within the request timeout.
   */
  public QueueConsumer queueConsumer(String group, String topic) {
    QueueMember member = new QueueMember(group, topic, channels, metadata, retry, requestTimeoutNanos, blocking, open::remove);
    open.add(member);
    return member;
  }

  /**
   * Appends {@code records} to {@code topic}/{@code partition} at most once, as idempotent
   * producer {@code producerId} (non-zero) numbering them from {@code firstSequence}: for a tool
   * that moves records exactly once and keeps its own place, as Ordo's dead-letter export does.
   * The partition remembers each producer's last append: an append with the same first sequence
   * again is not appended but answered with where the first went and how many records it had;
   * one with an earlier sequence is refused (OUT_OF_ORDER_SEQUENCE); sequences may skip ahead.
   * A partition remembers at most 10,000 producers, forgetting the one idle longest. Blocks;
   * retried on the partition's leader within the request timeout.
   *
   * @throws OrdoException if the append failed, or OUTCOME_UNKNOWN if it may have been applied:
   *     repeat it with the same sequence to learn where it went
   */
  public AppendedRecords appendSequenced(
      String topic, int partition, long producerId, long firstSequence, List<ProducerRecord> records) {
    if (producerId == 0 || firstSequence < 0 || records.isEmpty()) {
      throw new IllegalArgumentException("a sequenced append needs a non-zero producer id, a sequence from 0 and records");
    }
    return sequencedAppends.append(topic, partition, producerId, firstSequence, records);
  }

  /** The admin interface; calls are retried across nodes within the request timeout. */
  public Admin admin() {
    return admin;
  }

  /** Closes the producers (flushing them) and consumers this client created, then its channels. */
  @Override
  public void close() {
    List<AutoCloseable> toClose = new ArrayList<>(open);
    RuntimeException failure = null;
    for (AutoCloseable closeable : toClose) {
      try {
        closeable.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("closing the client failed", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    scheduler.shutdownNow();
    blocking.shutdownNow();
    channels.close();
    if (failure != null) {
      throw failure;
    }
  }

  /** Builds an {@link OrdoClient}. */
  public static final class Builder {
    private List<String> bootstrap;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration metadataMaxAge = DEFAULT_METADATA_MAX_AGE;
    private TlsFiles tls;
    private PasswordCredentials password;

    private Builder() {}

    /**
     * Authenticates as {@code user} with {@code password} on every call (the cluster's users:
     * {@link Admin#upsertUser}). Needs {@link #tls}: a password is never sent over a connection
     * anyone between could read. The array may be cleared once this returns.
     *
     * @throws IllegalArgumentException for an empty name or one with ':', or an empty password
     */
    public Builder credentials(String user, char[] password) {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(password, "password");
      if (user.isEmpty() || user.indexOf(':') >= 0) {
        throw new IllegalArgumentException("user name '" + user + "' is empty or has ':'");
      }
      if (password.length == 0) {
        throw new IllegalArgumentException("the password is empty");
      }
      this.password = new PasswordCredentials(user, password);
      return this;
    }

    /**
     * Connects with TLS, trusting the authority in {@code caFile} (PEM) to have issued the nodes'
     * certificates (their names must match the addresses the client dials).
     *
     * @throws IllegalArgumentException if the file cannot be read or holds no certificate
     */
    public Builder tls(Path caFile) {
      TlsFiles files = new TlsFiles(Objects.requireNonNull(caFile, "caFile"), null, null);
      files.check();
      this.tls = files;
      return this;
    }

    /**
     * Connects with mutual TLS: as {@link #tls(Path)}, presenting the certificate in {@code
     * certFile} with its key in {@code keyFile} (PKCS#8 PEM); the certificate's subject is who the
     * client is. The files are read again every minute, so replaced ones take effect.
     *
     * @throws IllegalArgumentException for a file that cannot be read, an expired certificate, a
     *     key that is not the certificate's, or a certificate the authority did not issue
     */
    public Builder tls(Path caFile, Path certFile, Path keyFile) {
      TlsFiles files = new TlsFiles(
          Objects.requireNonNull(caFile, "caFile"), Objects.requireNonNull(certFile, "certFile"), Objects.requireNonNull(keyFile, "keyFile"));
      files.check();
      this.tls = files;
      return this;
    }

    /**
     * The addresses to start from, {@code host:port} separated by commas. Any live node will do;
     * the client learns the others from the cluster.
     */
    public Builder bootstrap(String addresses) {
      List<String> parsed = new ArrayList<>();
      for (String address : Objects.requireNonNull(addresses, "addresses").split(",")) {
        String trimmed = address.trim();
        if (trimmed.isEmpty()) {
          continue;
        }
        int colon = trimmed.lastIndexOf(':');
        if (colon <= 0 || colon == trimmed.length() - 1 || !isPort(trimmed.substring(colon + 1))) {
          throw new IllegalArgumentException(
              "bootstrap address '" + trimmed + "' is not host:port");
        }
        parsed.add(trimmed);
      }
      if (parsed.isEmpty()) {
        throw new IllegalArgumentException("no bootstrap address in '" + addresses + "'");
      }
      this.bootstrap = List.copyOf(parsed);
      return this;
    }

    /**
     * The deadline of one request, and the time within which admin calls, fetches and metadata
     * lookups retry before they give up (default 30 s).
     */
    public Builder requestTimeout(Duration timeout) {
      if (Objects.requireNonNull(timeout, "timeout").isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive: " + timeout);
      }
      this.requestTimeout = timeout;
      return this;
    }

    /**
     * How old a topic's partitions and leaders may be before the client looks again while using it
     * (1 minute unless set): partitions added to a topic reach this client's producers within a
     * quarter more than it. A topic unused for that long is forgotten and looked up at its next use.
     */
    public Builder metadataMaxAge(Duration age) {
      if (Objects.requireNonNull(age, "age").isNegative() || age.isZero()) {
        throw new IllegalArgumentException("metadataMaxAge must be positive: " + age);
      }
      this.metadataMaxAge = age;
      return this;
    }

    /**
     * The client. No connection is made until the first call.
     *
     * @throws IllegalStateException if no bootstrap address was given, or credentials without TLS
     */
    public OrdoClient build() {
      if (bootstrap == null) {
        throw new IllegalStateException("bootstrap addresses are required");
      }
      if (password != null && tls == null) {
        throw new IllegalStateException("credentials need TLS (tls(caFile)): a password is never sent in the clear");
      }
      return new OrdoClient(this);
    }

    private static boolean isPort(String text) {
      try {
        int port = Integer.parseInt(text);
        return port > 0 && port < 65536;
      } catch (NumberFormatException e) {
        return false;
      }
    }
  }
}
