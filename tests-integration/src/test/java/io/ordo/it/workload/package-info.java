/**
 * Load for fault-injection runs: producers writing unique values and recording every operation in
 * a {@link io.ordo.it.history.History}, and readers following every partition.
 */
package io.ordo.it.workload;
