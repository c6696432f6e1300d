/** Queue groups on real clusters: leases, settlements and their fencing, across failovers. */
package io.ordo.it.queues;
