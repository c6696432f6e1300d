/**
 * The fault-injection (Jepsen-style) suite: Docker clusters under a nemesis, writers and readers
 * recording a history, the checker's verdict, and a JSON result and HTML report per run under
 * {@code target/jepsen/}.
 */
package io.ordo.it.jepsen;
