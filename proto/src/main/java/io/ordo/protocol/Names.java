package io.ordo.protocol;

import java.util.regex.Pattern;

/**
 * What topic, group and user names may be: 1 to {@value #MAX_LENGTH} of letters, digits, '.', '_' and
 * '-' (and '@' in a user's), and not '.' or '..'.
 */
public final class Names {
  /** Longest allowed name. */
  public static final int MAX_LENGTH = 200;

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]+");
  /** '@' too, for e-mail-like names; never ':' (the Basic header's separator) nor '=' or ',' (a subject's). */
  private static final Pattern VALID_USER = Pattern.compile("[A-Za-z0-9._@-]+");

  private Names() {}

  /** Why {@code name} is not a valid topic name, in words a person can act on, or null if it is valid. */
  public static String topicProblem(String name) {
    return problemWith("topic", name, VALID, "letters, digits, '.', '_' and '-'");
  }

  /** Why {@code name} is not a valid group name, in words a person can act on, or null if it is valid. */
  public static String groupProblem(String name) {
    return problemWith("group", name, VALID, "letters, digits, '.', '_' and '-'");
  }

  /** Why {@code name} is not a valid user name, in words a person can act on, or null if it is valid. */
  public static String userProblem(String name) {
    if ("ANONYMOUS".equalsIgnoreCase(name)) {
      return "user name '" + name + "' is reserved: User:ANONYMOUS is the principal of a call that brings no credentials";
    }
    return problemWith("user", name, VALID_USER, "letters, digits, '.', '_', '-' and '@'");
  }

  private static String problemWith(String kind, String name, Pattern valid, String allowed) {
    if (name == null || name.isEmpty()) {
      return kind + " name is empty";
    }
    if (name.length() > MAX_LENGTH) {
      return kind + " name is " + name.length() + " characters long; the limit is " + MAX_LENGTH;
    }
    if (name.equals(".") || name.equals("..")) {
      return kind + " name may not be '.' or '..'";
    }
    if (!valid.matcher(name).matches()) {
      return kind + " name '" + name + "' may contain only " + allowed;
    }
    return null;
  }
}
