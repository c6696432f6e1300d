package io.ordo.node.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/**
 * Where option values come from when not given as flags: the environment ({@code --node-id} is
 * {@code ORDO_NODE_ID}), then the properties file named by {@code --config} or {@code ORDO_CONFIG}
 * ({@code node-id=1}), then the built-in default.
 */
public final class SettingsSource implements CommandLine.IDefaultValueProvider {
  private final Map<String, String> env;
  private final Properties file;

  public SettingsSource(Map<String, String> env, Properties file) {
    this.env = env;
    this.file = file;
  }

  /** Reads the properties file {@code path}, if any. */
  public static Properties load(Path path) {
    Properties p = new Properties();
    if (path != null) {
      try (Reader r = Files.newBufferedReader(path)) {
        p.load(r);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read config file " + path + ": " + e.getMessage());
      }
    }
    return p;
  }

  /** The config file named in {@code args} (--config FILE or --config=FILE) or in ORDO_CONFIG. */
  public static Path configPath(String[] args, Map<String, String> env) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        return Path.of(args[i + 1]);
      }
      if (args[i].startsWith("--config=")) {
        return Path.of(args[i].substring("--config=".length()));
      }
    }
    String fromEnv = env.get("ORDO_CONFIG");
    return fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv);
  }

  @Override
  public String defaultValue(CommandLine.Model.ArgSpec argSpec) {
    if (!argSpec.isOption()) {
      return null;
    }
    String name = ((CommandLine.Model.OptionSpec) argSpec).longestName().replaceFirst("^--", "");
    String fromEnv = env.get("ORDO_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
    if (fromEnv != null) {
      return fromEnv;
    }
    return file.getProperty(name);
  }
}
