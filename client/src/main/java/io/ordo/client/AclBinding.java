package io.ordo.client;

import java.util.Objects;

/**
 * An ACL, as Kafka binds one: {@code principal} may (or, if denied, may not) do {@code operation}
 * on the resources it names. Nodes started with {@code --authorization} enforce them; see
 * {@link Admin#addAcls}.
 *
 * @param principal {@code User:} and a user's name or a certificate's subject; {@code User:*} is everyone authenticated
 * @param resourceName the resource's name ({@code *}: every one of its type), or the start of the
 *     names if {@code prefixed}; empty for {@link Resource#CLUSTER}
 */
public record AclBinding(String principal, Resource resource, String resourceName, boolean prefixed, Operation operation, boolean allow) {
  /** What an ACL is about. */
  public enum Resource {
    TOPIC,
    /** Stream and queue groups alike. */
    GROUP,
    /** Nodes, replicas, users and ACLs. */
    CLUSTER
  }

  /** What an ACL allows or denies; which calls need which is in SecurityService's documentation. */
  public enum Operation {
    ALL, PRODUCE, CONSUME, DESCRIBE, CREATE, DELETE, ALTER, JOIN, COMMIT, SETTLE, REDRIVE
  }

  public AclBinding {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(resourceName, "resourceName");
    Objects.requireNonNull(operation, "operation");
  }

  /** {@code principal} may do {@code operation} on the resource named exactly {@code name} (empty for the cluster). */
  public static AclBinding allow(String principal, Resource resource, String name, Operation operation) {
    return new AclBinding(principal, resource, name, false, operation, true);
  }

  /** {@code principal} may not do {@code operation} on the resource named exactly {@code name}, whatever allows it. */
  public static AclBinding deny(String principal, Resource resource, String name, Operation operation) {
    return new AclBinding(principal, resource, name, false, operation, false);
  }

  /** This ACL for every resource whose name starts with {@link #resourceName}. */
  public AclBinding withPrefix() {
    return new AclBinding(principal, resource, resourceName, true, operation, allow);
  }
}
