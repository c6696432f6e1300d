package io.ordo.client;

import java.time.Instant;

/**
 * A user who authenticates with a password, as listed: never its credential.
 *
 * @param mechanism how its password is stored, {@code SCRAM-SHA-256}
 * @param updated when its password was last set
 */
public record UserInfo(String name, String mechanism, int iterations, Instant updated) {}
