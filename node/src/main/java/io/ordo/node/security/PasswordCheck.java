package io.ordo.node.security;

import io.ordo.proto.raft.v1.UserRecord;
import io.ordo.proto.v1.ScramCredential;
import io.ordo.protocol.Scram;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks a user's password against the credential the metadata holds. A check derives the
 * credential's key (PBKDF2, thousands of rounds: milliseconds of a core), so a password once
 * verified is remembered for its user, as a keyed digest that no one reading the node's memory can
 * turn back into the password, and only for as long as the user keeps that credential. An unknown
 * user costs a check too, so the time taken does not tell who exists; and checks that run at once
 * are bounded, so wrong passwords cannot take every handler thread.
 */
final class PasswordCheck {
  /** Users whose last verified password is remembered; the least recently used is forgotten past it. */
  static final int REMEMBERED_USERS = 10_000;
  /** Checks that derive a key at once, at most; past it a call is refused OVERLOADED. */
  static final int CONCURRENT_CHECKS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

  enum Outcome { ACCEPTED, REFUSED, BUSY }

  private final Function<String, Optional<UserRecord>> users;
  private final Semaphore checks = new Semaphore(CONCURRENT_CHECKS);
  /** What an unknown user's password is checked against, so that costs what a known user's does. */
  private final ScramCredential nobody;
  private final byte[] digestKey = new byte[32];
  private final Map<String, Verified> verified = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Verified> eldest) {
      return size() > REMEMBERED_USERS;
    }
  };

  private record Verified(ScramCredential credential, byte[] passwordDigest) {}

  PasswordCheck(Function<String, Optional<UserRecord>> users) {
    this.users = users;
    SecureRandom random = new SecureRandom();
    random.nextBytes(digestKey);
    char[] unguessable = new char[32];
    for (int i = 0; i < unguessable.length; i++) {
      unguessable[i] = (char) ('a' + random.nextInt(26));
    }
    this.nobody = Scram.credential(unguessable, Scram.DEFAULT_ITERATIONS);
  }

  /** Whether {@code user} exists and {@code password} is its password now; BUSY if too many checks run. */
  Outcome check(String user, char[] password) {
    Optional<UserRecord> record = users.apply(user);
    ScramCredential credential = record.map(UserRecord::getCredential).orElse(nobody);
    byte[] digest = digest(password);
    if (record.isPresent()) {
      synchronized (verified) {
        Verified known = verified.get(user);
        if (known != null && known.credential().equals(credential) && MessageDigest.isEqual(known.passwordDigest(), digest)) {
          return Outcome.ACCEPTED;
        }
      }
    }
    if (!checks.tryAcquire()) {
      return Outcome.BUSY;
    }
    try {
      if (!Scram.matches(password, credential) || record.isEmpty()) {
        return Outcome.REFUSED;
      }
    } finally {
      checks.release();
    }
    synchronized (verified) {
      verified.put(user, new Verified(credential, digest));
    }
    return Outcome.ACCEPTED;
  }

  private byte[] digest(char[] password) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(digestKey, "HmacSHA256"));
      ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
      mac.update(bytes);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }
}
