package io.ordo.cli;

import io.ordo.client.Consumer;
import io.ordo.client.ConsumerRecord;
import io.ordo.client.GroupConfig;
import io.ordo.client.GroupConsumer;
import io.ordo.client.OrdoClient;
import io.ordo.client.OrdoException;
import io.ordo.client.QueueConsumer;
import io.ordo.client.QueuedRecord;
import io.ordo.client.RecordHandler;
import io.ordo.client.TopicPartition;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.proto.v1.QueuePolicy;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/** {@code ordo consume TOPIC}: records to stdout lines. */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = {
      "Print the records of TOPIC, one value per line (UTF-8), as they are committed.",
      "Reads every partition of the topic unless --partition is given; records of one"
          + " partition are printed in offset order, partitions interleave. Starts at the end"
          + " of each partition (only new records) unless --from-beginning or --offset is given.",
      "With --print-offset, --print-key and/or --print-headers a line is"
          + " offset<TAB>key<TAB>headers<TAB>value, with only the enabled fields; a record without key"
          + " prints an empty key, headers print as name=value separated by ';'. With --output json"
          + " each line is a JSON object instead (with a headers array when the record has any).",
      "With --group G it reads as a member of stream group G instead: the group's members divide"
          + " the partitions, each starts where the group committed (a new group at the earliest"
          + " record, or the end with --from latest), and what is printed is committed after it is"
          + " printed (at-least-once: a record printed just before a crash is printed again).",
      "With --queue G it receives from queue group G (created with the defaults if it does not"
          + " exist): the group's consumers share the records, each record goes to one of them, and"
          + " each printed record is then settled (--settle ack, the default; nack: delivered again"
          + " after the group's back-off; none: left on lease, a peek). On exit it hands back what it"
          + " received and did not settle, so it is delivered again at once.",
      "Runs until killed, unless --max-messages or --timeout-ms ends it (exit 0)."
    })
final class ConsumeCommand implements Callable<Integer> {
  /** Records waiting to be printed; bounded so a slow stdout slows the streams down. */
  private static final int QUEUE_CAPACITY = 4096;
  /** How often a blocked subscription thread checks whether the command is over. */
  private static final long OFFER_POLL_MS = 100;
  /** Longest one poll of a group member waits for records. */
  private static final long GROUP_POLL_MS = 200;
  /** Longest one receive of a queue consumer waits for records, and the most it asks for. */
  private static final long QUEUE_RECEIVE_MS = 200;
  private static final int QUEUE_RECEIVE_MAX = 100;

  @Mixin GlobalOptions global;

  @Parameters(paramLabel = "TOPIC")
  String topic;

  @Option(names = "--partition", paramLabel = "P", description = "Read only partition P.")
  Integer partition;

  @ArgGroup(exclusive = true)
  Start start;

  static final class Start {
    @Option(names = "--from-beginning", description = "Start at the first readable record.")
    boolean fromBeginning;

    @Option(
        names = "--offset",
        paramLabel = "N",
        description = "Start at offset N (in every partition read).")
    Long offset;
  }

  @Option(
      names = "--max-messages",
      paramLabel = "N",
      description = "Stop after printing N records.")
  Long maxMessages;

  @Option(
      names = "--timeout-ms",
      paramLabel = "T",
      description =
          "Stop when no record has arrived for T milliseconds (with --group: counted once the member"
              + " owns partitions, or from 10 s after it started if it gets none).")
  Long timeoutMs;

  @Option(names = "--group", paramLabel = "G", description = "Read as a member of stream group G.")
  String group;

  @Option(names = "--queue", paramLabel = "G", description = "Receive from queue group G.")
  String queue;

  @Option(
      names = "--settle",
      paramLabel = "ack|nack|none",
      description = "With --queue: what to do with each record once printed (default: ack).")
  String settle;

  @Option(
      names = "--from",
      paramLabel = "earliest|latest",
      description = "With --group: where a group that has committed nothing in a partition starts"
          + " (default: earliest).")
  String from;

  @Option(names = "--print-key", description = "Print each record's key before its value.")
  boolean printKey;

  @Option(names = "--print-offset", description = "Print each record's offset first.")
  boolean printOffset;

  @Option(names = "--print-headers", description = "Print each record's headers (UTF-8) before its value.")
  boolean printHeaders;

  /** An item of the queue: a record, or the error that ended a partition's stream. */
  private record Item(ConsumerRecord record, Throwable error) {}

  @Override
  public Integer call() throws InterruptedException {
    if (maxMessages != null && maxMessages <= 0) {
      throw global.usageError("--max-messages must be positive");
    }
    if (timeoutMs != null && timeoutMs <= 0) {
      throw global.usageError("--timeout-ms must be positive");
    }
    if (settle != null && queue == null) {
      throw global.usageError("--settle goes with --queue");
    }
    if (queue != null) {
      if (group != null || partition != null || start != null || from != null) {
        throw global.usageError("--queue receives what the queue group hands out: drop --group, --partition,"
            + " --from-beginning, --offset and --from");
      }
      if (settle != null && !settle.equals("ack") && !settle.equals("nack") && !settle.equals("none")) {
        throw global.usageError("--settle must be ack, nack or none, not '" + settle + "'");
      }
      return consumeFromQueue();
    }
    if (group != null) {
      if (partition != null || start != null) {
        throw global.usageError("--group reads from the group's committed offsets: drop --partition, --from-beginning"
            + " and --offset");
      }
      if (from != null && !from.equals("earliest") && !from.equals("latest")) {
        throw global.usageError("--from must be earliest or latest, not '" + from + "'");
      }
      return consumeAsMember();
    }
    if (from != null) {
      throw global.usageError("--from goes with --group (without it, use --from-beginning or --offset)");
    }
    long startOffset =
        start == null ? Consumer.LATEST : start.fromBeginning ? Consumer.EARLIEST : start.offset;
    if (startOffset < 0 && start != null && !start.fromBeginning) {
      throw global.usageError("--offset must not be negative");
    }
    BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    AtomicBoolean over = new AtomicBoolean();
    PrintStream out = global.out();
    try (OrdoClient client = global.connect();
        Consumer consumer = client.consumer()) {
      List<Integer> partitions = new ArrayList<>();
      if (partition != null) {
        partitions.add(partition);
      } else {
        int count = client.admin().describeTopic(topic).partitions().size();
        for (int p = 0; p < count; p++) {
          partitions.add(p);
        }
      }
      for (int p : partitions) {
        consumer.subscribe(topic, p, startOffset, handler(queue, over));
      }
      try {
        print(queue, out);
      } finally {
        // Lets handlers blocked on a full queue return before the consumer closes the streams.
        over.set(true);
      }
    }
    out.flush();
    return 0;
  }

  /** Polls as a member of {@code group}; commits each partition's printed records after printing them. */
  private int consumeAsMember() {
    GroupConfig config = GroupConfig.of(group, topic);
    if ("latest".equals(from)) {
      config = config.startingAtLatest();
    }
    PrintStream out = global.out();
    long printed = 0;
    // --timeout-ms counts quiet time once the member reads partitions, not while it joins and
    // partitions move to it. One that gets none (more members than partitions) starts counting
    // a session timeout after it started: by then any partition due to it would have reached it,
    // even from a member that died.
    long quietSince = System.nanoTime() + config.sessionTimeout().toNanos();
    boolean joined = false;
    try (OrdoClient client = global.connect();
        GroupConsumer member = client.groupConsumer(config)) {
      while (maxMessages == null || printed < maxMessages) {
        if (!joined && !member.assignment().isEmpty()) {
          joined = true;
          quietSince = System.nanoTime();
        }
        Map<TopicPartition, Long> next = new HashMap<>();
        for (ConsumerRecord record : member.poll(Duration.ofMillis(GROUP_POLL_MS))) {
          if (maxMessages != null && printed >= maxMessages) {
            break;
          }
          out.println(format(record));
          printed++;
          next.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
        }
        out.flush();
        if (!next.isEmpty()) {
          member.commit(next);
          quietSince = System.nanoTime();
        } else if (timeoutMs != null && System.nanoTime() - quietSince >= TimeUnit.MILLISECONDS.toNanos(timeoutMs)) {
          break;
        }
      }
    }
    return 0;
  }

  /** Receives from queue group {@code queue}, creating it if need be; settles each record after printing it. */
  private int consumeFromQueue() {
    PrintStream out = global.out();
    long printed = 0;
    long quietSince = System.nanoTime();
    try (OrdoClient client = global.connect()) {
      try {
        client.admin().createQueueGroup(queue, topic, QueuePolicy.getDefaultInstance());
      } catch (OrdoException e) {
        if (e.errorCode() != ErrorCode.GROUP_ALREADY_EXISTS) {
          throw e;
        }
      }
      try (QueueConsumer consumer = client.queueConsumer(queue, topic)) {
        while (maxMessages == null || printed < maxMessages) {
          int wanted = (int) Math.min(QUEUE_RECEIVE_MAX, maxMessages == null ? QUEUE_RECEIVE_MAX : maxMessages - printed);
          List<QueuedRecord> received = consumer.receive(wanted, Duration.ofMillis(QUEUE_RECEIVE_MS));
          for (QueuedRecord r : received) {
            out.println(format(r.record()));
            printed++;
            if ("nack".equals(settle)) {
              consumer.nack(r, Duration.ZERO, "nacked by ordo consume");
            }
          }
          out.flush();
          if (settle == null || settle.equals("ack")) {
            consumer.ackAll(received); // once printed: at-least-once
          } // none: released when the consumer closes
          if (!received.isEmpty()) {
            quietSince = System.nanoTime();
          } else if (timeoutMs != null && System.nanoTime() - quietSince >= TimeUnit.MILLISECONDS.toNanos(timeoutMs)) {
            break;
          }
        }
      }
    }
    return 0;
  }

  private void print(BlockingQueue<Item> queue, PrintStream out) throws InterruptedException {
    long printed = 0;
    while (maxMessages == null || printed < maxMessages) {
      Item item = timeoutMs == null ? queue.take() : queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
      if (item == null) {
        return;
      }
      if (item.error() != null) {
        throw item.error() instanceof RuntimeException e
            ? e
            : new IllegalStateException(item.error());
      }
      out.println(format(item.record()));
      printed++;
    }
  }

  private static RecordHandler handler(BlockingQueue<Item> queue, AtomicBoolean over) {
    return new RecordHandler() {
      @Override
      public void onRecord(ConsumerRecord record) {
        offer(new Item(record, null));
      }

      @Override
      public void onError(Throwable error) {
        offer(new Item(null, error));
      }

      private void offer(Item item) {
        try {
          while (!over.get() && !queue.offer(item, OFFER_POLL_MS, TimeUnit.MILLISECONDS)) {
            // Full: stdout is slower than the streams; keep waiting unless the command is over.
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
  }

  /** The line printed for a record. */
  String format(ConsumerRecord record) {
    if (global.json()) {
      JsonWriter json = new JsonWriter()
          .beginObject()
          .field("partition", record.partition())
          .field("offset", record.offset())
          .field("timestampMs", record.timestampMs())
          .field("key", record.keyAsString())
          .field("value", record.valueAsString());
      if (!record.headers().isEmpty()) {
        json.name("headers").beginArray();
        record.headers().forEach(h -> json.beginObject()
            .field("key", h.key())
            .field("value", new String(h.value(), StandardCharsets.UTF_8))
            .endObject());
        json.endArray();
      }
      return json.endObject().toString();
    }
    StringBuilder line = new StringBuilder();
    if (printOffset) {
      line.append(record.offset()).append('\t');
    }
    if (printKey) {
      line.append(record.key() == null ? "" : record.keyAsString()).append('\t');
    }
    if (printHeaders) {
      line.append(record.headers().stream()
              .map(h -> h.key() + "=" + new String(h.value(), StandardCharsets.UTF_8))
              .collect(Collectors.joining(";")))
          .append('\t');
    }
    return line.append(record.valueAsString()).toString();
  }
}
