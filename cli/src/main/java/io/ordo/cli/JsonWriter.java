package io.ordo.cli;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Writes compact JSON: objects, arrays, strings, numbers and booleans, with commas placed and
 * strings escaped (RFC 8259) by the writer. Enough for the CLI's output without a JSON library
 * on the client's class path.
 */
final class JsonWriter {
  private final StringBuilder out = new StringBuilder();
  /** Per open object or array: whether it has no element yet. */
  private final Deque<Boolean> empty = new ArrayDeque<>();
  private boolean afterName;

  JsonWriter beginObject() {
    beforeValue();
    out.append('{');
    empty.push(true);
    return this;
  }

  JsonWriter endObject() {
    empty.pop();
    out.append('}');
    return this;
  }

  JsonWriter beginArray() {
    beforeValue();
    out.append('[');
    empty.push(true);
    return this;
  }

  JsonWriter endArray() {
    empty.pop();
    out.append(']');
    return this;
  }

  /** The name of the next member of the current object. */
  JsonWriter name(String name) {
    beforeValue();
    string(name);
    out.append(':');
    afterName = true;
    return this;
  }

  /** A string, or null. */
  JsonWriter value(String value) {
    beforeValue();
    if (value == null) {
      out.append("null");
    } else {
      string(value);
    }
    return this;
  }

  JsonWriter value(long value) {
    beforeValue();
    out.append(value);
    return this;
  }

  /** A number written with up to three decimals, as throughput and latency figures need. */
  JsonWriter value(double value) {
    beforeValue();
    out.append(Double.isFinite(value) ? String.format("%.3f", value) : "null");
    return this;
  }

  JsonWriter value(boolean value) {
    beforeValue();
    out.append(value);
    return this;
  }

  /** Shorthand for {@code name(name).value(value)}. */
  JsonWriter field(String name, String value) {
    return name(name).value(value);
  }

  JsonWriter field(String name, long value) {
    return name(name).value(value);
  }

  JsonWriter field(String name, double value) {
    return name(name).value(value);
  }

  JsonWriter field(String name, boolean value) {
    return name(name).value(value);
  }

  @Override
  public String toString() {
    if (!empty.isEmpty()) {
      throw new IllegalStateException("unclosed object or array");
    }
    return out.toString();
  }

  private void beforeValue() {
    if (afterName) {
      afterName = false;
      return;
    }
    if (!empty.isEmpty()) {
      if (!empty.pop()) {
        out.append(',');
      }
      empty.push(false);
    }
  }

  private void string(String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        default:
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }
}
