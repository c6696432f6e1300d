/** The {@code ordo} commands and the {@code bin/} scripts, run for real against real clusters. */
package io.ordo.it.cli;
