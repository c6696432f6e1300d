package io.ordo.cli;

import io.ordo.client.OrdoClient;
import io.ordo.client.UserInfo;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ordo user create|delete|list}. */
@Command(
    name = "user",
    mixinStandardHelpOptions = true,
    description = {
      "Create, delete and list the users who authenticate with a password (over TLS:"
          + " `ordo --tls-ca CA --user NAME --password-file FILE ...`).",
      "The cluster stores a salted SCRAM-SHA-256 credential derived here, never the password."
    },
    subcommands = {UserCommand.Create.class, UserCommand.Delete.class, UserCommand.ListUsers.class})
final class UserCommand {
  private UserCommand() {}

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create user NAME, or give an existing one a new password (calls with the old one fail from then on).")
  static final class Create implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "NAME", description = "Letters, digits, '.', '_', '-' and '@'.")
    String name;

    @Option(
        names = "--new-password-file",
        required = true,
        paramLabel = "FILE",
        description = "The user's password: the first line of FILE, or of standard input for '-'.")
    Path passwordFile;

    @Override
    public Integer call() {
      if (passwordFile.toString().equals("-") && global.readsPasswordFromStdin()) {
        throw global.usageError("--new-password-file - and --password-file - would both read standard input; give one a file");
      }
      char[] password = global.readPassword(passwordFile, "--new-password-file");
      try (OrdoClient client = global.connect()) {
        client.admin().upsertUser(name, password);
      } finally {
        Arrays.fill(password, '\0');
      }
      if (global.json()) {
        global.out().println(new JsonWriter().beginObject().field("user", name).field("passwordSet", true).endObject());
      } else {
        global.out().println("user " + name + " authenticates with the new password");
      }
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete user NAME: calls with its password fail from then on.")
  static final class Delete implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      try (OrdoClient client = global.connect()) {
        client.admin().deleteUser(name);
      }
      global.printDeleted("user", name);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List every user with how its password is stored.")
  static final class ListUsers implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Override
    public Integer call() {
      List<UserInfo> users;
      try (OrdoClient client = global.connect()) {
        users = client.admin().listUsers();
      }
      if (global.json()) {
        JsonWriter json = new JsonWriter().beginObject().name("users").beginArray();
        users.forEach(u -> json.beginObject()
            .field("name", u.name())
            .field("mechanism", u.mechanism())
            .field("iterations", u.iterations())
            .field("updated", u.updated().toString())
            .endObject());
        global.out().println(json.endArray().endObject());
      } else {
        Table table = new Table("NAME", "MECHANISM", "ITERATIONS", "PASSWORD SET");
        users.forEach(u -> table.row(u.name(), u.mechanism(), u.iterations(), u.updated().toString()));
        table.print(global.out());
      }
      return 0;
    }
  }
}
