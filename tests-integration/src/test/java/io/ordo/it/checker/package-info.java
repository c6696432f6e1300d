/**
 * Checks a fault-injection run's history against the final state of the log: lost, duplicated,
 * reordered, phantom and resurrected writes, readers that disagree, and availability. Pure: no I/O.
 */
package io.ordo.it.checker;
