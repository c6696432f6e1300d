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
import io.ordo.proto.raft.v1.UserRecord;
import io.ordo.proto.v1.ErrorCode;
import io.ordo.protocol.OrdoStatus;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Function;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Gives each call on the client port its principal, as Kafka names them: {@code User:} and the
 * name of a user whose password came with the call (the {@code authorization: Basic} header, over
 * TLS only), else {@code User:} and the subject of the client certificate the TLS handshake
 * verified against the cluster's authority (mutual TLS), else {@link #ANONYMOUS}. A password that
 * does not match, or one sent without TLS, is refused UNAUTHENTICATED (OVERLOADED while the node
 * checks as many passwords as it may at once); so is a call without a principal when
 * authentication is required. Refused calls never reach a service; health checks
 * always pass (probes carry no credentials).
 */
public final class Authentication implements ServerInterceptor {
  /** The principal of the call being served. */
  public static final Context.Key<String> PRINCIPAL = Context.key("ordo-principal");
  public static final String ANONYMOUS = "User:ANONYMOUS";
  /** The header that carries a call's credentials (Basic). */
  public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BASIC = "basic ";

  private final boolean required;
  private final PasswordCheck passwords;

  /** @param users the user of a name, as the metadata knows it now */
  public Authentication(boolean required, Function<String, Optional<UserRecord>> users) {
    this.required = required;
    this.passwords = new PasswordCheck(users);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (call.getMethodDescriptor().getServiceName().equals(HealthGrpc.SERVICE_NAME)) {
      return Contexts.interceptCall(Context.current().withValue(PRINCIPAL, ANONYMOUS), call, headers, next);
    }
    SSLSession tls = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    String authorization = headers.get(AUTHORIZATION);
    Optional<String> principal;
    if (authorization != null) {
      if (tls == null) {
        return refuse(call, ErrorCode.UNAUTHENTICATED, "a password is accepted only over TLS, where no one between can read it:"
            + " connect with TLS (ordo --tls-ca CA; OrdoClient.Builder.tls(ca)) or without credentials");
      }
      Optional<NameAndPassword> given = basic(authorization);
      if (given.isEmpty()) {
        return refuse(call, ErrorCode.UNAUTHENTICATED, "the authorization header must be 'Basic ' and base64 of NAME:PASSWORD"
            + " (UTF-8, a non-empty password)");
      }
      PasswordCheck.Outcome outcome;
      try {
        outcome = passwords.check(given.get().name(), given.get().password());
      } finally {
        Arrays.fill(given.get().password(), '\0');
      }
      if (outcome == PasswordCheck.Outcome.BUSY) {
        return refuse(call, ErrorCode.OVERLOADED, "the node is checking " + PasswordCheck.CONCURRENT_CHECKS
            + " passwords already; retry shortly (a client that authenticated once is not checked again)");
      }
      if (outcome == PasswordCheck.Outcome.REFUSED) {
        return refuse(call, ErrorCode.UNAUTHENTICATED, "unknown user or wrong password (ordo --user NAME --password-file FILE;"
            + " OrdoClient.Builder.credentials(name, password)); 'ordo user list' shows the users");
      }
      principal = Optional.of("User:" + given.get().name());
    } else {
      principal = certificateSubjectOf(tls);
    }
    if (principal.isEmpty() && required) {
      return refuse(call, ErrorCode.UNAUTHENTICATED, "this cluster requires authentication: connect with TLS presenting a client certificate its authority"
          + " issued (ordo --tls-ca CA --tls-cert CERT --tls-key KEY; OrdoClient.Builder.tls(ca, cert, key)), or as a user"
          + " with a password (ordo --tls-ca CA --user NAME --password-file FILE; OrdoClient.Builder.credentials(name, password))");
    }
    Context context = Context.current().withValue(PRINCIPAL, principal.orElse(ANONYMOUS));
    return Contexts.interceptCall(context, call, headers, next);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, ErrorCode code, String message) {
    StatusRuntimeException refused = OrdoStatus.exception(code, message);
    call.close(refused.getStatus(), refused.getTrailers());
    return new ServerCall.Listener<>() {};
  }

  private record NameAndPassword(String name, char[] password) {}

  /** The name and password in a {@code Basic} header; empty if it is not one, or has no password. */
  private static Optional<NameAndPassword> basic(String authorization) {
    if (!authorization.regionMatches(true, 0, BASIC, 0, BASIC.length())) {
      return Optional.empty();
    }
    char[] nameAndPassword;
    try {
      byte[] decoded = Base64.getDecoder().decode(authorization.substring(BASIC.length()).trim());
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(decoded));
      Arrays.fill(decoded, (byte) 0);
      nameAndPassword = new char[chars.remaining()];
      chars.get(nameAndPassword);
    } catch (IllegalArgumentException | CharacterCodingException notBase64OrUtf8) {
      return Optional.empty();
    }
    try {
      int colon = indexOf(nameAndPassword, ':');
      if (colon <= 0 || colon == nameAndPassword.length - 1) {
        return Optional.empty();
      }
      return Optional.of(new NameAndPassword(
          new String(nameAndPassword, 0, colon), Arrays.copyOfRange(nameAndPassword, colon + 1, nameAndPassword.length)));
    } finally {
      Arrays.fill(nameAndPassword, '\0');
    }
  }

  private static int indexOf(char[] chars, char c) {
    for (int i = 0; i < chars.length; i++) {
      if (chars[i] == c) {
        return i;
      }
    }
    return -1;
  }

  /** {@code User:} and the subject of the verified client certificate, if the call came with one. */
  static Optional<String> certificateSubjectOf(SSLSession session) {
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
