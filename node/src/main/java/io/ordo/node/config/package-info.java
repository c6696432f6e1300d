/**
 * The node's configuration: identity, addresses, the initial cluster and every limit, read from
 * flags, environment variables and a properties file. Values only; starts nothing.
 */
package io.ordo.node.config;
