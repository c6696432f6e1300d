package io.ordo.protocol;

import io.ordo.proto.v1.Acl;
import io.ordo.proto.v1.AclOperation;
import io.ordo.proto.v1.AclPermission;
import io.ordo.proto.v1.PatternType;
import io.ordo.proto.v1.ResourceType;
import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * What an ACL may say, and what a set of them allows, as Kafka decides it: an operation is
 * allowed when an ACL allows it to the principal (or to {@code User:*}) on a matching resource and
 * none denies it; deny wins, and no ACL means no access. An allowed operation other than DESCRIBE
 * allows DESCRIBE too; ALL stands for every operation.
 */
public final class AclRules {
  /** ACLs the cluster keeps, at most: every call is checked against them. */
  public static final int MAX_ACLS = 10_000;
  public static final String ANY_PRINCIPAL = "User:*";
  public static final String ANY_NAME = "*";
  private static final int MAX_PRINCIPAL_LENGTH = 1_000;

  private static final Map<ResourceType, Set<AclOperation>> OPERATIONS = Map.of(
      ResourceType.TOPIC, Set.of(AclOperation.ALL, AclOperation.PRODUCE, AclOperation.CONSUME, AclOperation.DESCRIBE,
          AclOperation.CREATE, AclOperation.DELETE, AclOperation.ALTER),
      ResourceType.GROUP, Set.of(AclOperation.ALL, AclOperation.JOIN, AclOperation.COMMIT, AclOperation.SETTLE,
          AclOperation.DESCRIBE, AclOperation.CREATE, AclOperation.DELETE, AclOperation.REDRIVE),
      ResourceType.CLUSTER, Set.of(AclOperation.ALL, AclOperation.ALTER, AclOperation.DESCRIBE));

  private AclRules() {}

  /** Why {@code acl} cannot be stored, in words a person can act on, or null if it can. */
  public static String problemWith(Acl acl) {
    if (!acl.getPrincipal().startsWith("User:") || acl.getPrincipal().length() == "User:".length()
        || acl.getPrincipal().length() > MAX_PRINCIPAL_LENGTH) {
      return "principal '" + acl.getPrincipal() + "' is not User:NAME, User:SUBJECT or " + ANY_PRINCIPAL;
    }
    Set<AclOperation> operations = OPERATIONS.get(acl.getResourceType());
    if (operations == null) {
      return "an ACL needs a resource type: topic, group or cluster";
    }
    if (acl.getPatternType() != PatternType.LITERAL && acl.getPatternType() != PatternType.PREFIXED) {
      return "an ACL needs a pattern type: literal or prefixed";
    }
    if (acl.getResourceType() == ResourceType.CLUSTER) {
      if (!acl.getResourceName().isEmpty() || acl.getPatternType() != PatternType.LITERAL) {
        return "a cluster ACL names no resource and is literal";
      }
    } else if (acl.getResourceName().isEmpty() || acl.getResourceName().length() > Names.MAX_LENGTH) {
      return "a " + type(acl.getResourceType()) + " ACL needs a resource name of 1 to " + Names.MAX_LENGTH + " characters";
    } else if (acl.getResourceName().equals(ANY_NAME) && acl.getPatternType() != PatternType.LITERAL) {
      return "'" + ANY_NAME + "' already matches every " + type(acl.getResourceType()) + "; it is literal";
    }
    if (!operations.contains(acl.getOperation())) {
      return "a " + type(acl.getResourceType()) + " ACL's operation is one of " + operations.stream().map(AclRules::name).sorted().toList()
          + ", not " + name(acl.getOperation());
    }
    if (acl.getPermission() != AclPermission.ALLOW && acl.getPermission() != AclPermission.DENY) {
      return "an ACL needs a permission: allow or deny";
    }
    return null;
  }

  /** Whether {@code acls} allow {@code principal} {@code operation} on the resource of {@code type} named {@code name}. */
  public static boolean allows(Collection<Acl> acls, String principal, ResourceType type, String name, AclOperation operation) {
    boolean allowed = false;
    for (Acl acl : acls) {
      if (acl.getResourceType() != type
          || !(acl.getPrincipal().equals(principal) || acl.getPrincipal().equals(ANY_PRINCIPAL))
          || !namesMatch(acl, name)) {
        continue;
      }
      if (acl.getPermission() == AclPermission.DENY) {
        if (acl.getOperation() == AclOperation.ALL || acl.getOperation() == operation) {
          return false;
        }
      } else if (acl.getOperation() == AclOperation.ALL || acl.getOperation() == operation || operation == AclOperation.DESCRIBE) {
        allowed = true;
      }
    }
    return allowed;
  }

  private static boolean namesMatch(Acl acl, String name) {
    return acl.getPatternType() == PatternType.PREFIXED
        ? name.startsWith(acl.getResourceName())
        : acl.getResourceName().equals(name) || acl.getResourceName().equals(ANY_NAME) || acl.getResourceType() == ResourceType.CLUSTER;
  }

  /** The type's name in messages: topic, group, cluster. */
  public static String type(ResourceType type) {
    return type.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The operation's name in messages and on the command line: produce, consume, ... */
  public static String name(AclOperation operation) {
    return operation.name().toLowerCase(java.util.Locale.ROOT);
  }
}
