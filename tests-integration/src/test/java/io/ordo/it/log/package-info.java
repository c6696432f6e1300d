/** Behaviour of the replicated log on real multi-process clusters: crashes, restarts, catch-up. */
package io.ordo.it.log;
