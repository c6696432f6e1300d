package io.ordo.cli;

import io.ordo.client.AclBinding;
import io.ordo.client.OrdoClient;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ordo acl add|remove|list}. */
@Command(
    name = "acl",
    mixinStandardHelpOptions = true,
    description = {
      "Add, remove and list ACLs: who may do what to which topics and groups, and to the cluster.",
      "Nodes started with --authorization allow a call only when an ACL allows its principal the"
          + " operation and none denies it (deny wins; no ACL, no access); their --super-users may do anything.",
      "Operations: topic produce|consume|describe|create|delete|alter; group"
          + " join|commit|settle|describe|create|delete|redrive; cluster alter|describe; all of a kind: all.",
      "Example: ordo acl add --principal User:bob --operation produce,describe --topic orders"
    },
    subcommands = {AclCommand.Add.class, AclCommand.Remove.class, AclCommand.ListAcls.class})
final class AclCommand {
  private AclCommand() {}

  /** The resource an ACL is about: one of --topic, --group, --cluster. */
  static final class Resource {
    @Option(names = "--topic", paramLabel = "NAME", description = "A topic ('*' for every topic).")
    String topic;

    @Option(names = "--group", paramLabel = "NAME", description = "A group, stream or queue ('*' for every group).")
    String group;

    @Option(names = "--cluster", description = "The cluster itself: nodes, replicas, users and ACLs.")
    boolean cluster;

    AclBinding.Resource type() {
      return topic != null ? AclBinding.Resource.TOPIC : group != null ? AclBinding.Resource.GROUP : AclBinding.Resource.CLUSTER;
    }

    String name() {
      return topic != null ? topic : group != null ? group : "";
    }
  }

  /** What add and remove take: the ACLs named by a principal, operations and one resource. */
  static final class Spec {
    @Option(names = "--principal", required = true, paramLabel = "User:NAME", description = "User:NAME, User:SUBJECT of a certificate, or User:* for everyone authenticated.")
    String principal;

    @Option(names = "--operation", required = true, split = ",", paramLabel = "OP[,OP...]", description = "One ACL per operation.")
    List<String> operations;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Resource resource;

    @Option(names = "--prefixed", description = "Every resource whose name starts with the name given.")
    boolean prefixed;

    @Option(names = "--deny", description = "Deny instead of allow: wins over every ACL that allows.")
    boolean deny;

    List<AclBinding> acls(GlobalOptions global) {
      List<AclBinding> acls = new ArrayList<>();
      for (String operation : operations) {
        AclBinding.Operation op;
        try {
          op = AclBinding.Operation.valueOf(operation.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw global.usageError("--operation: '" + operation + "' is none of "
              + Arrays.stream(AclBinding.Operation.values()).map(AclCommand::lower).toList());
        }
        AclBinding acl = new AclBinding(principal, resource.type(), resource.name(), false, op, !deny);
        acls.add(prefixed ? acl.withPrefix() : acl);
      }
      return acls;
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Add an ACL per operation given (existing ones stay as they are).")
  static final class Add implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Mixin Spec spec;

    @Override
    public Integer call() {
      List<AclBinding> acls = spec.acls(global);
      try (OrdoClient client = global.connect()) {
        client.admin().addAcls(acls);
      }
      print(global, "added", acls);
      return 0;
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove the ACLs exactly as given (say --deny and --prefixed if they have them).")
  static final class Remove implements Callable<Integer> {
    @Mixin GlobalOptions global;
    @Mixin Spec spec;

    @Override
    public Integer call() {
      List<AclBinding> acls = spec.acls(global);
      int removed;
      try (OrdoClient client = global.connect()) {
        removed = client.admin().removeAcls(acls);
      }
      if (global.json()) {
        global.out().println(new JsonWriter().beginObject().field("removed", removed).endObject());
      } else {
        global.out().println("removed " + removed + " of " + acls.size() + " ACLs (the others did not exist)");
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List every ACL, or those of a principal or resource.")
  static final class ListAcls implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Option(names = "--principal", paramLabel = "User:NAME")
    String principal;

    @ArgGroup(exclusive = true)
    Resource resource;

    @Override
    public Integer call() {
      List<AclBinding> acls;
      try (OrdoClient client = global.connect()) {
        acls = client.admin().listAcls(principal, resource == null ? null : resource.type(), resource == null ? null : resource.name());
      }
      print(global, "acls", acls);
      return 0;
    }
  }

  private static void print(GlobalOptions global, String what, List<AclBinding> acls) {
    if (global.json()) {
      JsonWriter json = new JsonWriter().beginObject().name(what).beginArray();
      acls.forEach(a -> json.beginObject()
          .field("principal", a.principal())
          .field("permission", a.allow() ? "allow" : "deny")
          .field("operation", lower(a.operation()))
          .field("resource", lower(a.resource()))
          .field("name", a.resourceName())
          .field("pattern", a.prefixed() ? "prefixed" : "literal")
          .endObject());
      global.out().println(json.endArray().endObject());
      return;
    }
    Table table = new Table("PRINCIPAL", "PERMISSION", "OPERATION", "RESOURCE", "NAME", "PATTERN");
    acls.forEach(a -> table.row(a.principal(), a.allow() ? "allow" : "deny", lower(a.operation()),
        lower(a.resource()), a.resourceName(), a.prefixed() ? "prefixed" : "literal"));
    table.print(global.out());
  }

  /** An operation's or resource's name as the command line takes it. */
  private static String lower(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }
}
