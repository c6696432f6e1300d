/**
 * Stream consumer groups on clusters of real processes: pub/sub across groups, load-balanced
 * reading within one, and committed progress across member and leader failures.
 */
package io.ordo.it.groups;
