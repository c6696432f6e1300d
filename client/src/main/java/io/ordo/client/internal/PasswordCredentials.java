package io.ordo.client.internal;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.Executor;

/**
 * A user's name and password on every call ({@code authorization: Basic}, as the cluster reads
 * it), and only on a connection TLS keeps private: on any other the call fails UNAUTHENTICATED
 * without sending them.
 */
public final class PasswordCredentials extends CallCredentials {
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String header;

  public PasswordCredentials(String user, char[] password) {
    char[] joined = new char[user.length() + 1 + password.length];
    user.getChars(0, user.length(), joined, 0);
    joined[user.length()] = ':';
    System.arraycopy(password, 0, joined, user.length() + 1, password.length);
    ByteBuffer utf8 = StandardCharsets.UTF_8.encode(CharBuffer.wrap(joined));
    byte[] bytes = new byte[utf8.remaining()];
    utf8.get(bytes);
    this.header = "Basic " + Base64.getEncoder().encodeToString(bytes);
    Arrays.fill(joined, '\0');
    Arrays.fill(bytes, (byte) 0);
  }

  @Override
  public void applyRequestMetadata(RequestInfo request, Executor appExecutor, MetadataApplier applier) {
    if (request.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY) {
      applier.fail(Status.UNAUTHENTICATED.withDescription(
          "a password is sent only over TLS: give the client the cluster's authority (OrdoClient.Builder.tls)"));
      return;
    }
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, header);
    applier.apply(headers);
  }
}
