package io.ordo.client;

import java.util.Objects;

/**
 * A record header: a text key and opaque bytes. A record may carry several headers with the same
 * key; their order is kept.
 *
 * @param key the header's name, never null
 * @param value the header's bytes, never null (may be empty); not copied, so do not modify it
 */
public record Header(String key, byte[] value) {
  /** Checks that neither part is null. */
  public Header {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
  }
}
