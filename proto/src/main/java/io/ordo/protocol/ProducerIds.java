package io.ordo.protocol;

import java.security.SecureRandom;

/** Idempotent producer ids (ordo.v1.ProduceRequest.producer_id): random, so no two producers share one, and never 0. */
public final class ProducerIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ProducerIds() {}

  /** A fresh id; 0 means "not idempotent" on the wire, so it is never drawn. */
  public static long newId() {
    long id;
    do {
      id = RANDOM.nextLong();
    } while (id == 0);
    return id;
  }
}
