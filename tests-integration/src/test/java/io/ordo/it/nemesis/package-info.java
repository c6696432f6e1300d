/**
 * Faults, and the seeded schedule that applies and heals them during a run. Every fault and heal
 * is recorded in the run's history, so a report shows what was broken when.
 */
package io.ordo.it.nemesis;
