package io.ordo.client.testing;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.v1.AdminServiceGrpc;
import io.ordo.proto.v1.ClusterDescription;
import io.ordo.proto.v1.ConsumedRecord;
import io.ordo.proto.v1.ConsumerServiceGrpc;
import io.ordo.proto.v1.CreateTopicRequest;
import io.ordo.proto.v1.DeleteTopicRequest;
import io.ordo.proto.v1.DeleteTopicResponse;
import io.ordo.proto.v1.DescribeClusterRequest;
import io.ordo.proto.v1.DescribeTopicRequest;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.ErrorDetail;
import io.ordo.proto.v1.FetchRequest;
import io.ordo.proto.v1.FetchResponse;
import io.ordo.proto.v1.ListTopicsRequest;
import io.ordo.proto.v1.ListTopicsResponse;
import io.ordo.proto.v1.NodeDescription;
import io.ordo.proto.v1.PartitionAppend;
import io.ordo.proto.v1.PartitionDescription;
import io.ordo.proto.v1.PartitionHealth;
import io.ordo.proto.v1.ProduceManyRequest;
import io.ordo.proto.v1.ProduceManyResponse;
import io.ordo.proto.v1.ProduceRequest;
import io.ordo.proto.v1.ProduceResponse;
import io.ordo.proto.v1.ProduceResult;
import io.ordo.proto.v1.ProducerServiceGrpc;
import io.ordo.proto.v1.Record;
import io.ordo.proto.v1.RecordBatch;
import io.ordo.proto.v1.SubscribeRequest;
import io.ordo.proto.v1.TopicDescription;
import io.ordo.proto.v1.UnhealthyPartition;
import io.ordo.proto.v1.TopicSummary;
import io.ordo.protocol.KeyPartitioner;
import io.ordo.protocol.OrdoStatus;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.TreeSet;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A few gRPC servers on loopback ports that answer like Ordo nodes over one shared in-memory
 * model: any node answers admin calls; produce, fetch and subscribe are answered by the
 * partition's leader only, other nodes say NOT_LEADER with the leader's address (or
 * LEADER_NOT_AVAILABLE when the partition has none). Tests move leaders, stop nodes, inject one-off
 * failures, hold produce answers back and break subscribe streams, then check what the client did.
 */
public final class FakeCluster implements AutoCloseable {
  /** Finalized and supported by every node of the model alike. */
  private static final int FEATURE_LEVEL = 5;

  /** The RPCs a failure can be injected into. */
  public enum Rpc {
    /** One partition's records: a Produce call, or one request of a ProduceMany call. */
    PRODUCE,
    /** A ProduceMany call as a whole. */
    PRODUCE_MANY,
    FETCH,
    SUBSCRIBE,
    ADMIN
  }

  private final List<FakeNode> nodes = new ArrayList<>();
  private final Map<String, FakeTopic> topics = new TreeMap<>();
  private final ExecutorService streams = Executors.newCachedThreadPool();
  private long nextTopicId = 1;
  private boolean holdProduce;
  private final List<HeldProduce> heldProduces = new ArrayList<>();

  /** How long a pipelined produce request waits for the one it follows to arrive. */
  private static final long PREDECESSOR_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private record HeldProduce(ProduceRequest request, Runnable answer) {}
  private final List<ProduceRequest> produceRequests = new ArrayList<>();
  private int fetchBatchRecords;

  /** Starts {@code size} nodes, ids 1..size. */
  public FakeCluster(int size) throws IOException {
    for (int id = 1; id <= size; id++) {
      FakeNode node = new FakeNode(id);
      node.start(0);
      nodes.add(node);
    }
  }

  /** The client addresses of every node, comma-separated, as a bootstrap list. */
  public String bootstrap() {
    return nodes.stream().map(FakeNode::address).collect(Collectors.joining(","));
  }

  /** The client address of node {@code id}. */
  public String address(int id) {
    return node(id).address();
  }

  /** Creates a topic whose partition {@code p} is led by node {@code 1 + p % size}. */
  public synchronized void createTopic(String name, int partitions) {
    FakeTopic topic = new FakeTopic(nextTopicId++, partitions, Math.min(3, nodes.size()));
    for (int p = 0; p < partitions; p++) {
      topic.leaders[p] = 1 + p % nodes.size();
    }
    topics.put(name, topic);
  }

  /** Makes node {@code id} (0 for none) the leader of the partition, from the next call on. */
  public synchronized void setLeader(String topic, int partition, int id) {
    topics.get(topic).leaders[partition] = id;
    notifyAll();
  }

  /** Every record of the partition, by offset. */
  public synchronized List<Record> log(String topic, int partition) {
    return new ArrayList<>(topics.get(topic).logs.get(partition));
  }

  /**
   * Answers fetches that ask for stored batches as a node does: whole batches of {@code records}
   * records (at offsets that are multiples of it), up to and including the one that reaches the
   * request's max records. Fetches answer with records, exactly, until this is called.
   */
  public synchronized void answerFetchesInBatchesOf(int records) {
    fetchBatchRecords = records;
  }

  /** Appends records to the partition directly, as if another producer had. */
  public synchronized void append(String topic, int partition, List<Record> records) {
    topics.get(topic).logs.get(partition).addAll(records);
    notifyAll();
  }

  /** Makes node {@code id} answer its next call of {@code rpc} with {@code error}. */
  public void failNext(int id, Rpc rpc, StatusRuntimeException error) {
    node(id).failures.computeIfAbsent(rpc, r -> new ConcurrentLinkedQueue<>()).add(error);
  }

  /** An Ordo error as a node sends it. */
  public static StatusRuntimeException error(ErrorCode code) {
    return OrdoStatus.exception(code, "injected " + code);
  }

  /** How many calls of {@code rpc} node {@code id} has received. */
  public int calls(int id, Rpc rpc) {
    return node(id).calls.computeIfAbsent(rpc, r -> new AtomicInteger()).get();
  }

  /** The produce requests every node has received, in arrival order. */
  public synchronized List<ProduceRequest> produceRequests() {
    return new ArrayList<>(produceRequests);
  }

  /** While held, produce requests are accepted but answered only by {@link #releaseProduces}. */
  public synchronized void holdProduces() {
    holdProduce = true;
  }

  /** Answers the held produce requests and stops holding new ones. */
  public void releaseProduces() {
    List<Runnable> held;
    synchronized (this) {
      holdProduce = false;
      held = heldProduces.stream().map(HeldProduce::answer).toList();
      heldProduces.clear();
    }
    held.forEach(Runnable::run);
  }

  /** Answers the held produce requests {@code which} accepts, and goes on holding the others and new ones. */
  public void releaseProduces(Predicate<ProduceRequest> which) {
    List<Runnable> released = new ArrayList<>();
    synchronized (this) {
      heldProduces.removeIf(held -> which.test(held.request()) && released.add(held.answer()));
    }
    released.forEach(Runnable::run);
  }

  /** Fails every open subscribe stream of node {@code id} with {@code error}. */
  public void breakStreams(int id, StatusRuntimeException error) {
    FakeNode node = node(id);
    for (StreamObserver<FetchResponse> stream : node.openStreams.keySet()) {
      node.openStreams.remove(stream);
      synchronized (stream) {
        stream.onError(error);
      }
    }
  }

  /** Stops node {@code id}: calls to it fail as a dead node's would (connection refused). */
  public void stop(int id) {
    node(id).stop();
  }

  @Override
  public void close() {
    for (FakeNode node : nodes) {
      node.stop();
    }
    streams.shutdownNow();
  }

  private FakeNode node(int id) {
    return nodes.get(id - 1);
  }

  private static final class FakeTopic {
    final long id;
    final int replicationFactor;
    final int[] leaders;
    final List<List<Record>> logs = new ArrayList<>();
    /** Per partition and idempotent producer, its last 5 appends, newest first: {first sequence, count, base}. */
    final List<Map<Long, Deque<long[]>>> producers = new ArrayList<>();

    FakeTopic(long id, int partitions, int replicationFactor) {
      this.id = id;
      this.replicationFactor = replicationFactor;
      this.leaders = new int[partitions];
      for (int p = 0; p < partitions; p++) {
        logs.add(new ArrayList<>());
        producers.add(new HashMap<>());
      }
    }

    /**
     * The partition's answer to an idempotent request, as ordo.v1.ProduceRequest specifies it: a
     * remembered append's {base, count}, or an error; null if the records are to be appended.
     */
    Object checkSequence(int partition, ProduceRequest request) {
      Deque<long[]> appended = producers.get(partition).get(request.getProducerId());
      long first = request.getFirstSequence();
      if (appended == null) {
        return request.getFollowsPrevious() ? error(ErrorCode.SEQUENCE_GAP) : null;
      }
      for (long[] a : appended) {
        if (a[0] == first) {
          return new long[] {a[2], a[1]};
        }
      }
      long end = appended.peekFirst()[0] + appended.peekFirst()[1];
      if (first < end) {
        return error(ErrorCode.OUT_OF_ORDER_SEQUENCE);
      }
      return request.getFollowsPrevious() && first != end ? error(ErrorCode.SEQUENCE_GAP) : null;
    }

    /** Whether {@code request} follows an append of its producer that has not arrived yet. */
    boolean awaitsPredecessor(int partition, ProduceRequest request) {
      if (request.getProducerId() == 0 || !request.getFollowsPrevious()) {
        return false;
      }
      Deque<long[]> appended = producers.get(partition).get(request.getProducerId());
      return appended == null || request.getFirstSequence() > appended.peekFirst()[0] + appended.peekFirst()[1];
    }

    void rememberAppend(int partition, ProduceRequest request, long base) {
      Deque<long[]> appended = producers.get(partition).computeIfAbsent(request.getProducerId(), k -> new ArrayDeque<>());
      appended.addFirst(new long[] {request.getFirstSequence(), request.getRecordsCount(), base});
      if (appended.size() > 5) {
        appended.removeLast();
      }
    }
  }

  private final class FakeNode {
    final int id;
    final Map<Rpc, ConcurrentLinkedQueue<StatusRuntimeException>> failures =
        new ConcurrentHashMap<>();
    final Map<Rpc, AtomicInteger> calls = new ConcurrentHashMap<>();
    final Map<StreamObserver<FetchResponse>, Boolean> openStreams = new ConcurrentHashMap<>();
    Server server;
    int port;

    FakeNode(int id) {
      this.id = id;
    }

    String address() {
      return "127.0.0.1:" + port;
    }

    void start(int onPort) throws IOException {
      server =
          Grpc.newServerBuilderForPort(onPort, InsecureServerCredentials.create())
              .addService(new Admin())
              .addService(new Producer())
              .addService(new Consumer())
              .build()
              .start();
      port = server.getPort();
    }

    void stop() {
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Counts the call and returns the failure injected for it, if any. */
    StatusRuntimeException begin(Rpc rpc) {
      calls.computeIfAbsent(rpc, r -> new AtomicInteger()).incrementAndGet();
      ConcurrentLinkedQueue<StatusRuntimeException> queue = failures.get(rpc);
      return queue == null ? null : queue.poll();
    }

    /** The topic if this node leads the partition; otherwise throws what a node would answer. */
    FakeTopic led(String name, int partition) {
      FakeTopic topic = topics.get(name);
      if (topic == null) {
        throw OrdoStatus.exception(ErrorCode.UNKNOWN_TOPIC, "topic '" + name + "' does not exist");
      }
      if (partition < 0 || partition >= topic.leaders.length) {
        throw OrdoStatus.exception(ErrorCode.UNKNOWN_PARTITION, "no partition " + partition);
      }
      int leader = topic.leaders[partition];
      if (leader == 0) {
        throw OrdoStatus.exception(ErrorCode.LEADER_NOT_AVAILABLE, "no leader");
      }
      if (leader != id) {
        throw OrdoStatus.exception(
            ErrorDetail.newBuilder()
                .setCode(ErrorCode.NOT_LEADER)
                .setLeaderNodeId(leader)
                .setLeaderAddress(node(leader).address())
                .build(),
            "node " + id + " does not lead " + name + "/" + partition);
      }
      return topic;
    }

    final class Admin extends AdminServiceGrpc.AdminServiceImplBase {
      @Override
      public void createTopic(CreateTopicRequest request, StreamObserver<TopicDescription> out) {
        StatusRuntimeException failure = begin(Rpc.ADMIN);
        if (failure != null) {
          out.onError(failure);
          return;
        }
        synchronized (FakeCluster.this) {
          if (topics.containsKey(request.getName())) {
            out.onError(OrdoStatus.exception(ErrorCode.TOPIC_ALREADY_EXISTS, "exists"));
            return;
          }
          FakeCluster.this.createTopic(request.getName(), request.getPartitions());
          out.onNext(describe(request.getName()));
        }
        out.onCompleted();
      }

      @Override
      public void deleteTopic(DeleteTopicRequest request, StreamObserver<DeleteTopicResponse> out) {
        StatusRuntimeException failure = begin(Rpc.ADMIN);
        if (failure != null) {
          out.onError(failure);
          return;
        }
        synchronized (FakeCluster.this) {
          if (topics.remove(request.getName()) == null) {
            out.onError(OrdoStatus.exception(ErrorCode.UNKNOWN_TOPIC, "no such topic"));
            return;
          }
        }
        out.onNext(DeleteTopicResponse.getDefaultInstance());
        out.onCompleted();
      }

      @Override
      public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> out) {
        StatusRuntimeException failure = begin(Rpc.ADMIN);
        if (failure != null) {
          out.onError(failure);
          return;
        }
        ListTopicsResponse.Builder response = ListTopicsResponse.newBuilder();
        synchronized (FakeCluster.this) {
          topics.forEach(
              (name, topic) ->
                  response.addTopics(
                      TopicSummary.newBuilder()
                          .setName(name)
                          .setPartitions(topic.leaders.length)
                          .setReplicationFactor(topic.replicationFactor)));
        }
        out.onNext(response.build());
        out.onCompleted();
      }

      @Override
      public void describeTopic(DescribeTopicRequest request, StreamObserver<TopicDescription> out) {
        StatusRuntimeException failure = begin(Rpc.ADMIN);
        if (failure != null) {
          out.onError(failure);
          return;
        }
        synchronized (FakeCluster.this) {
          if (!topics.containsKey(request.getName())) {
            out.onError(OrdoStatus.exception(ErrorCode.UNKNOWN_TOPIC, "topic '"
                + request.getName() + "' does not exist"));
            return;
          }
          out.onNext(describe(request.getName()));
        }
        out.onCompleted();
      }

      private TopicDescription describe(String name) {
        FakeTopic topic = topics.get(name);
        TopicDescription.Builder description =
            TopicDescription.newBuilder()
                .setName(name)
                .setTopicId(topic.id)
                .setReplicationFactor(topic.replicationFactor);
        for (int p = 0; p < topic.leaders.length; p++) {
          PartitionDescription.Builder partition =
              description
                  .addPartitionsBuilder()
                  .setPartition(p)
                  .setLeader(topic.leaders[p])
                  .setStartOffset(0)
                  .setEndOffset(topic.logs.get(p).size());
          for (int r = 0; r < topic.replicationFactor; r++) {
            int replica = 1 + (p + r) % nodes.size();
            partition.addReplicas(replica).addInSyncReplicas(replica);
          }
        }
        return description.build();
      }

      @Override
      public void describeCluster(
          DescribeClusterRequest request, StreamObserver<ClusterDescription> out) {
        StatusRuntimeException failure = begin(Rpc.ADMIN);
        if (failure != null) {
          out.onError(failure);
          return;
        }
        ClusterDescription.Builder cluster = ClusterDescription.newBuilder().setMetadataLeader(1).setFeatureLevel(FEATURE_LEVEL);
        for (FakeNode node : nodes) {
          cluster.addNodes(
              NodeDescription.newBuilder()
                  .setNodeId(node.id)
                  .setClientAddress(node.address())
                  .setRaftAddress("127.0.0.1:" + (20000 + node.id))
                  .setAlive(!node.server.isShutdown())
                  .setSupportedFeatureLevel(node.server.isShutdown() ? 0 : FEATURE_LEVEL));
        }
        if (request.getIncludePartitionHealth()) {
          // Every replica of the model is in sync: a partition is unhealthy only while leaderless.
          PartitionHealth.Builder health = cluster.getPartitionHealthBuilder();
          synchronized (FakeCluster.this) {
            for (String name : new TreeSet<>(topics.keySet())) {
              for (PartitionDescription p : describe(name).getPartitionsList()) {
                health.setPartitions(health.getPartitions() + 1);
                if (p.getLeader() == 0) {
                  health.addUnhealthy(UnhealthyPartition.newBuilder().setTopic(name).setPartition(p));
                }
              }
            }
          }
        }
        out.onNext(cluster.build());
        out.onCompleted();
      }
    }

    final class Producer extends ProducerServiceGrpc.ProducerServiceImplBase {
      /**
       * Each request as {@link #produce} takes it, a failure planted for it included: an Ordo
       * error is that request's answer, any other (UNAVAILABLE, DEADLINE_EXCEEDED) the whole
       * call's, as when the connection fails.
       */
      @Override
      public void produceMany(ProduceManyRequest request, StreamObserver<ProduceManyResponse> out) {
        StatusRuntimeException failure = begin(Rpc.PRODUCE_MANY);
        if (failure != null) {
          out.onError(failure);
          return;
        }
        int count = request.getRequestsCount();
        ProduceResult[] results = new ProduceResult[count];
        AtomicInteger remaining = new AtomicInteger(count);
        AtomicBoolean callFailed = new AtomicBoolean();
        for (int i = 0; i < count && !callFailed.get(); i++) {
          int slot = i;
          produce(request.getRequests(i), new StreamObserver<>() {
            @Override
            public void onNext(ProduceResponse answer) {
              fill(ProduceResult.newBuilder().setAppend(answer.getAppends(0)).build());
            }

            @Override
            public void onError(Throwable error) {
              if (OrdoStatus.detailOf(error).isPresent()) {
                fill(OrdoStatus.failedProduce(error));
              } else if (callFailed.compareAndSet(false, true)) {
                out.onError(error);
              }
            }

            @Override
            public void onCompleted() {}

            private void fill(ProduceResult result) {
              results[slot] = result;
              if (remaining.decrementAndGet() == 0 && !callFailed.get()) {
                out.onNext(ProduceManyResponse.newBuilder().addAllResults(Arrays.asList(results)).build());
                out.onCompleted();
              }
            }
          });
        }
      }

      @Override
      public void produce(ProduceRequest request, StreamObserver<ProduceResponse> out) {
        StatusRuntimeException failure = begin(Rpc.PRODUCE);
        if (failure != null) {
          out.onError(failure);
          return;
        }
        synchronized (FakeCluster.this) {
          produceRequests.add(request);
          int partition =
              request.hasPartition()
                  ? request.getPartition()
                  : request.getRecords(0).getKey().isEmpty()
                      ? 0
                      : KeyPartitioner.partition(
                          request.getRecords(0).getKey().toByteArray(),
                          topics.get(request.getTopic()).leaders.length);
          FakeTopic topic;
          try {
            topic = led(request.getTopic(), partition);
          } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
          }
          // As a node does: a request that overtook its predecessor waits for it, a while.
          long waitUntil = System.nanoTime() + PREDECESSOR_WAIT_NANOS;
          while (topic.awaitsPredecessor(partition, request) && System.nanoTime() < waitUntil) {
            try {
              FakeCluster.this.wait(Math.max(1, (waitUntil - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              break;
            }
          }
          List<Record> log = topic.logs.get(partition);
          long base = log.size();
          int count = request.getRecordsCount();
          Object repeated = request.getProducerId() == 0 ? null : topic.checkSequence(partition, request);
          if (repeated instanceof StatusRuntimeException refused) {
            out.onError(refused);
            return;
          }
          if (repeated instanceof long[] original) {
            base = original[0];
            count = (int) original[1];
          } else {
            log.addAll(request.getRecordsList());
            if (request.getProducerId() != 0) {
              topic.rememberAppend(partition, request, base);
            }
            FakeCluster.this.notifyAll();
          }
          ProduceResponse response =
              ProduceResponse.newBuilder()
                  .addAppends(
                      PartitionAppend.newBuilder()
                          .setPartition(partition)
                          .setBaseOffset(base)
                          .setRecordCount(count)
                          .setTimestampMs(1_000 + base))
                  .build();
          Runnable answer =
              () -> {
                out.onNext(response);
                out.onCompleted();
              };
          if (holdProduce) {
            heldProduces.add(new HeldProduce(request, answer));
            return;
          }
          answer.run();
        }
      }
    }

    final class Consumer extends ConsumerServiceGrpc.ConsumerServiceImplBase {
      @Override
      public void fetch(FetchRequest request, StreamObserver<FetchResponse> out) {
        StatusRuntimeException failure = begin(Rpc.FETCH);
        if (failure != null) {
          out.onError(failure);
          return;
        }
        FetchResponse response;
        synchronized (FakeCluster.this) {
          try {
            List<Record> log = led(request.getTopic(), request.getPartition()).logs
                .get(request.getPartition());
            long offset = resolve(request.getOffset(), log.size());
            long waitUntil = System.currentTimeMillis() + request.getMaxWaitMs();
            while (offset >= log.size() && System.currentTimeMillis() < waitUntil) {
              FakeCluster.this.wait(Math.max(1, waitUntil - System.currentTimeMillis()));
            }
            int max = request.getMaxRecords() == 0 ? 500 : request.getMaxRecords();
            response = fetchBatchRecords > 0 && request.getStoredBatches()
                ? readBatches(log, offset, max, fetchBatchRecords)
                : read(log, offset, max);
          } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
          } catch (InterruptedException e) {
            out.onError(Status.CANCELLED.asRuntimeException());
            return;
          }
        }
        out.onNext(response);
        out.onCompleted();
      }

      @Override
      public void subscribe(SubscribeRequest request, StreamObserver<FetchResponse> out) {
        StatusRuntimeException failure = begin(Rpc.SUBSCRIBE);
        if (failure != null) {
          out.onError(failure);
          return;
        }
        ServerCallStreamObserver<FetchResponse> stream = (ServerCallStreamObserver<FetchResponse>) out;
        long start;
        synchronized (FakeCluster.this) {
          try {
            List<Record> log =
                led(request.getTopic(), request.getPartition()).logs.get(request.getPartition());
            start = resolve(request.getOffset(), log.size());
          } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
          }
        }
        openStreams.put(out, true);
        streams.execute(() -> pump(request, stream, start));
      }

      /** Sends batches of up to 3 records as they appear, while the stream is open and ready. */
      private void pump(SubscribeRequest request, ServerCallStreamObserver<FetchResponse> out, long start) {
        long offset = start;
        try {
          while (openStreams.containsKey(out) && !out.isCancelled()) {
            FetchResponse response = null;
            synchronized (FakeCluster.this) {
              FakeTopic topic = topics.get(request.getTopic());
              List<Record> log = topic.logs.get(request.getPartition());
              if (offset < log.size() && out.isReady()) {
                response = read(log, offset, 3);
              } else {
                FakeCluster.this.wait(20);
              }
            }
            if (response != null) {
              synchronized (out) {
                if (!openStreams.containsKey(out)) {
                  return;
                }
                out.onNext(response);
              }
              offset = response.getNextOffset();
            }
          }
        } catch (InterruptedException | RuntimeException e) {
          openStreams.remove(out);
        }
      }

      private long resolve(long offset, int end) {
        if (offset == -1) {
          return end;
        }
        if (offset == -2) {
          return 0;
        }
        if (offset < 0 || offset > end) {
          throw OrdoStatus.exception(
              ErrorDetail.newBuilder()
                  .setCode(ErrorCode.OFFSET_OUT_OF_RANGE)
                  .setStartOffset(0)
                  .setEndOffset(end)
                  .build(),
              "offset " + offset + " is outside [0, " + end + "]");
        }
        return offset;
      }

      private FetchResponse read(List<Record> log, long offset, int max) {
        FetchResponse.Builder response =
            FetchResponse.newBuilder().setStartOffset(0).setEndOffset(log.size());
        long o = offset;
        for (; o < log.size() && o < offset + max; o++) {
          Record record = log.get((int) o);
          response.addRecords(
              ConsumedRecord.newBuilder()
                  .setOffset(o)
                  .setTimestampMs(1_000 + o)
                  .setKey(record.getKey())
                  .setValue(record.getValue())
                  .addAllHeaders(record.getHeadersList()));
        }
        return response.setNextOffset(o).build();
      }

      private FetchResponse readBatches(List<Record> log, long offset, int max, int batchRecords) {
        FetchResponse.Builder response =
            FetchResponse.newBuilder().setStartOffset(0).setEndOffset(log.size()).setFromOffset(offset);
        long base = offset - offset % batchRecords;
        for (; base < log.size() && base < offset + max; base += batchRecords) {
          RecordBatch.Builder batch = RecordBatch.newBuilder().setBaseOffset(base).setTimestampMs(1_000 + base);
          batch.addAllRecords(log.subList((int) base, (int) Math.min(log.size(), base + batchRecords)));
          response.addBatches(batch.build().toByteString());
        }
        return response.setNextOffset(Math.min(log.size(), Math.max(offset, base))).build();
      }
    }
  }

  /** A record with a UTF-8 value and no key. */
  public static Record record(String value) {
    return Record.newBuilder().setValue(ByteString.copyFromUtf8(value)).build();
  }
}
