/**
 * The deployment files in {@code deploy/}, run as a user would run them: the real
 * {@code docker-compose.yml} with the real Compose and an image built from this build's jars,
 * used through the {@code ordo} CLI. Owns only the Compose projects it starts (and removes); the
 * cluster harness and the Docker engine's other containers are not its business.
 */
package io.ordo.it.deploy;
