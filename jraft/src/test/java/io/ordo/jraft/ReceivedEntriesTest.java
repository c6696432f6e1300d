package io.ordo.jraft;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReceivedEntriesTest {
  private static String text(ByteBuffer buffer) {
    return StandardCharsets.UTF_8.decode(buffer.duplicate()).toString();
  }

  /** A received request's entries are part of a larger array: the buffer is over it, writable and array-backed. */
  @Test
  void entriesInPartOfAnArrayAreThatArraysBytes() {
    byte[] received = "head|entries|tail".getBytes(StandardCharsets.UTF_8);
    ByteBuffer entries = ReceivedEntries.of(UnsafeByteOperations.unsafeWrap(received, 5, 7));

    assertThat(text(entries)).isEqualTo("entries");
    assertThat(entries.hasArray()).as("array-backed, so apply reads it in place").isTrue();
    assertThat(entries.isReadOnly()).isFalse();
    received[5] = 'E';
    assertThat(text(entries)).as("not a copy").isEqualTo("Entries");
  }

  @Test
  void entriesInManyPartsAreCopiedWhole() {
    String first = "first part ".repeat(20);
    String second = "second part ".repeat(20);
    // parts this long are concatenated as a rope, not copied into one array
    ByteString rope = ByteString.copyFromUtf8(first).concat(ByteString.copyFromUtf8(second));
    assertThat(text(ReceivedEntries.of(rope))).isEqualTo(first + second);
    assertThat(ReceivedEntries.of(ByteString.EMPTY).remaining()).isZero();
  }
}
