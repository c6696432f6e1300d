package io.ordo.node.security;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.protocol.OrdoStatus;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Gives each call on the client port its principal, as Kafka names them: {@code User:} and the
 * subject of the client certificate the TLS handshake verified against the cluster's authority
 * (mutual TLS), or {@link #ANONYMOUS}. When authentication is required, a call without one is
 * refused UNAUTHENTICATED, saying what to present, before it reaches any service; health checks
 * always pass (probes carry no certificate).
 */
public final class Authentication implements ServerInterceptor {
  /** The principal of the call being served. */
  public static final Context.Key<String> PRINCIPAL = Context.key("ordo-principal");
  public static final String ANONYMOUS = "User:ANONYMOUS";

  private final boolean required;

  public Authentication(boolean required) {
    this.required = required;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Optional<String> principal = principalOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (principal.isEmpty() && required && !call.getMethodDescriptor().getServiceName().equals(HealthGrpc.SERVICE_NAME)) {
      StatusRuntimeException refused = OrdoStatus.exception(
          ErrorCode.UNAUTHENTICATED,
          "this cluster requires authentication: connect with TLS presenting a client certificate its authority"
              + " issued (ordo --tls-ca CA --tls-cert CERT --tls-key KEY; OrdoClient.Builder.tls(ca, cert, key))");
      call.close(refused.getStatus(), refused.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    Context context = Context.current().withValue(PRINCIPAL, principal.orElse(ANONYMOUS));
    return Contexts.interceptCall(context, call, headers, next);
  }

  /** {@code User:} and the subject of the verified client certificate, if the call came with one. */
  static Optional<String> principalOf(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate leaf
          ? Optional.of("User:" + leaf.getSubjectX500Principal().getName())
          : Optional.empty();
    } catch (SSLPeerUnverifiedException noCertificate) {
      return Optional.empty();
    }
  }
}
