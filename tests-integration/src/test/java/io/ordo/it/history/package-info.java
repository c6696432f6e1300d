/**
 * What happened during a fault-injection run, as Jepsen records it: every operation's invocation
 * and completion (ok, fail, or info when the outcome is unknown), and every fault, with times.
 */
package io.ordo.it.history;
