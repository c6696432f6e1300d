package io.ordo.protocol;

import com.google.protobuf.ByteString;
import io.ordo.proto.v1.ScramCredential;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * SCRAM-SHA-256 credentials (RFC 5802, 7677), as Kafka stores them: the client derives one from
 * a password and the cluster keeps only it, so the metadata never holds a password nor anything a
 * password can be read back from. A password sent over TLS is checked against it.
 */
public final class Scram {
  public static final String MECHANISM = "SCRAM-SHA-256";
  /** RFC 7677's minimum, and what Kafka's tools default to. */
  public static final int DEFAULT_ITERATIONS = 4096;
  /** Above this a single check would take a node's core for seconds. */
  public static final int MAX_ITERATIONS = 1_000_000;
  public static final int MIN_SALT_BYTES = 16;
  public static final int MAX_SALT_BYTES = 64;
  private static final int KEY_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Scram() {}

  /** A credential for {@code password}, with a fresh random salt. */
  public static ScramCredential credential(char[] password, int iterations) {
    byte[] salt = new byte[MIN_SALT_BYTES * 2];
    RANDOM.nextBytes(salt);
    return credential(password, salt, iterations);
  }

  static ScramCredential credential(char[] password, byte[] salt, int iterations) {
    byte[] saltedPassword = saltedPassword(password, salt, iterations);
    return ScramCredential.newBuilder()
        .setSalt(ByteString.copyFrom(salt))
        .setIterations(iterations)
        .setStoredKey(ByteString.copyFrom(storedKey(saltedPassword)))
        .setServerKey(ByteString.copyFrom(hmac(saltedPassword, "Server Key")))
        .build();
  }

  /** Whether {@code password} is the one {@code credential} was derived from. Costs the credential's iterations. */
  public static boolean matches(char[] password, ScramCredential credential) {
    byte[] saltedPassword = saltedPassword(password, credential.getSalt().toByteArray(), credential.getIterations());
    return MessageDigest.isEqual(storedKey(saltedPassword), credential.getStoredKey().toByteArray());
  }

  /** Why {@code credential} cannot be stored, in words a person can act on, or null if it can. */
  public static String problemWith(ScramCredential credential) {
    int salt = credential.getSalt().size();
    if (salt < MIN_SALT_BYTES || salt > MAX_SALT_BYTES) {
      return "the credential's salt is " + salt + " bytes; it must be " + MIN_SALT_BYTES + " to " + MAX_SALT_BYTES;
    }
    if (credential.getIterations() < DEFAULT_ITERATIONS || credential.getIterations() > MAX_ITERATIONS) {
      return "the credential's iterations are " + credential.getIterations() + "; they must be " + DEFAULT_ITERATIONS
          + " to " + MAX_ITERATIONS;
    }
    if (credential.getStoredKey().size() != KEY_BYTES || credential.getServerKey().size() != KEY_BYTES) {
      return "the credential's stored and server keys must be " + KEY_BYTES + " bytes each (SCRAM-SHA-256)";
    }
    return null;
  }

  private static byte[] saltedPassword(char[] password, byte[] salt, int iterations) {
    try {
      PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, KEY_BYTES * 8);
      try {
        return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      } finally {
        spec.clearPassword();
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is part of every Java runtime", e);
    }
  }

  private static byte[] storedKey(byte[] saltedPassword) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(hmac(saltedPassword, "Client Key"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  private static byte[] hmac(byte[] key, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(text.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }
}
