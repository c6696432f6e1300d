package io.ordo.protocol;

import java.util.regex.Pattern;

/** What a topic name may be: 1 to {@value #MAX_LENGTH} of letters, digits, '.', '_' and '-'. */
public final class TopicNames {
  /** Longest allowed topic name. */
  public static final int MAX_LENGTH = 200;

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]+");

  private TopicNames() {}

  /**
   * Why {@code name} is not a valid topic name, in words a person can act on, or {@code null} if
   * it is valid.
   */
  public static String problemWith(String name) {
    if (name == null || name.isEmpty()) {
      return "topic name is empty";
    }
    if (name.length() > MAX_LENGTH) {
      return "topic name is " + name.length() + " characters long; the limit is " + MAX_LENGTH;
    }
    if (name.equals(".") || name.equals("..")) {
      return "topic name may not be '.' or '..'";
    }
    if (!VALID.matcher(name).matches()) {
      return "topic name '" + name + "' may contain only letters, digits, '.', '_' and '-'";
    }
    return null;
  }
}
