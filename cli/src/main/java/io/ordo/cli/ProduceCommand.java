package io.ordo.cli;

import io.ordo.client.OrdoClient;
import io.ordo.client.Producer;
import io.ordo.client.ProducerRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ordo produce TOPIC}: stdin lines to records. */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = {
      "Send one record per line of standard input (UTF-8) to TOPIC, and wait at end of input"
          + " until every record is acknowledged.",
      "Without --key or --key-separator records have no key and are spread over the"
          + " partitions; a key picks the partition (as Kafka's default partitioner does)"
          + " unless --partition is given.",
      "Prints nothing on success (a summary object with --output json). Exits 1, saying how"
          + " many, if any record was not acknowledged."
    })
final class ProduceCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Parameters(paramLabel = "TOPIC")
  String topic;

  @ArgGroup(exclusive = true)
  KeyChoice keyChoice;

  static final class KeyChoice {
    @Option(names = "--key", paramLabel = "K", description = "The key of every record.")
    String key;

    @Option(
        names = "--key-separator",
        paramLabel = "SEP",
        description =
            "Each line is KEY SEP VALUE: the text before the first SEP is the key, the rest the"
                + " value. A line without SEP stops the command with an error.")
    String separator;
  }

  @Option(
      names = "--partition",
      paramLabel = "P",
      description = "Send every record to partition P.")
  Integer partition;

  @Option(
      names = "--null-marker",
      paramLabel = "TEXT",
      description =
          "A value equal to TEXT is sent as a tombstone, which deletes its key from a compacted"
              + " topic (cleanup.policy=compact); as Kafka's console producer's null.marker.")
  String nullMarker;

  @Override
  public Integer call() throws IOException {
    if (keyChoice != null && keyChoice.separator != null && keyChoice.separator.isEmpty()) {
      throw global.usageError("--key-separator must not be empty");
    }
    AtomicLong failed = new AtomicLong();
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    long sent = 0;
    String stoppedBy = null;
    try (OrdoClient client = global.connect();
        Producer producer = client.producer();
        BufferedReader lines =
            new BufferedReader(new InputStreamReader(global.in(), StandardCharsets.UTF_8))) {
      long lineNumber = 0;
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        lineNumber++;
        String[] keyValue = split(line);
        if (keyValue == null) {
          stoppedBy =
              "line " + lineNumber + " has no key separator '" + keyChoice.separator + "'";
          break;
        }
        ProducerRecord record = keyValue[1].equals(nullMarker) && keyValue[0] != null
            ? ProducerRecord.tombstone(topic, keyValue[0])
            : ProducerRecord.of(topic, keyValue[0], keyValue[1]);
        if (partition != null) {
          record = record.withPartition(partition);
        }
        producer
            .send(record)
            .whenComplete(
                (metadata, error) -> {
                  if (error != null) {
                    failed.incrementAndGet();
                    firstError.compareAndSet(null, error);
                  }
                });
        sent++;
      }
      producer.flush();
    }
    if (global.json()) {
      global
          .out()
          .println(
              new JsonWriter()
                  .beginObject()
                  .field("sent", sent)
                  .field("acknowledged", sent - failed.get())
                  .field("failed", failed.get())
                  .endObject());
    }
    if (failed.get() > 0) {
      global
          .err()
          .println(
              "ordo: " + failed.get() + " of " + sent + " records were not acknowledged; first"
                  + " error: " + OrdoCli.describe(OrdoCli.unwrap(firstError.get())));
      return 1;
    }
    if (stoppedBy != null) {
      global.err().println("ordo: " + stoppedBy + "; the " + sent + " records before it were sent");
      return 1;
    }
    return 0;
  }

  /** {key, value} of a line; key null for none; null if the line lacks the key separator. */
  String[] split(String line) {
    if (keyChoice == null) {
      return new String[] {null, line};
    }
    if (keyChoice.key != null) {
      return new String[] {keyChoice.key, line};
    }
    int at = line.indexOf(keyChoice.separator);
    if (at < 0) {
      return null;
    }
    return new String[] {
      line.substring(0, at), line.substring(at + keyChoice.separator.length())
    };
  }
}
