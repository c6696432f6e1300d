/** The gRPC API as any client sees it, raw stubs and no Java client: status codes and details. */
package io.ordo.it.api;
