/**
 * The {@code ordo} command-line tool: one class per command group (topics, produce, consume,
 * cluster, bench), the options every command shares, and the table and JSON output they print.
 * Commands talk to the cluster only through the public {@code io.ordo.client} API, never its
 * {@code internal} package, the generated protobuf types beyond {@code ErrorCode}, or the server
 * modules. They write results to the streams {@link io.ordo.cli.OrdoCli#run} is given and nothing
 * else to stdout, so scripts can parse it; errors are one line on stderr.
 */
package io.ordo.cli;
