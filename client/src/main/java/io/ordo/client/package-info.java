/**
 * The public Java client of Ordo: {@link io.ordo.client.OrdoClient} and the {@link
 * io.ordo.client.Producer}, {@link io.ordo.client.Consumer} and {@link io.ordo.client.Admin} it
 * hands out, with the value types and exceptions they speak in. It owns the API applications
 * compile against, so it exposes no generated protobuf types except {@link
 * io.ordo.proto.v1.ErrorCode}; wire details, leader discovery and retries live in {@code internal}.
 * It may depend on {@code ordo-proto} only, never on the server modules.
 */
package io.ordo.client;
