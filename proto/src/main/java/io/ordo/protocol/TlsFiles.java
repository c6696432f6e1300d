package io.ordo.protocol;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import javax.net.ssl.SSLEngine;

/**
 * The PEM files of a TLS identity and the authority it trusts: {@code ca} (one or more
 * certificates), and optionally {@code cert} (the chain, leaf first) with its {@code key} (PKCS#8,
 * "BEGIN PRIVATE KEY"). Credentials made from them read the files again every {@code reloadSecs},
 * so replaced certificates take effect without a restart.
 */
public record TlsFiles(Path ca, Path cert, Path key) {
  private static final System.Logger RELOAD_LOG = System.getLogger(TlsFiles.class.getName());

  /** Whether the files include an identity (a certificate and its key) to present. */
  public boolean hasIdentity() {
    return cert != null;
  }

  /**
   * Checks the files as a node or client is about to use them, with a message a person can act
   * on: each readable and parseable, the key not readable by every user, the certificate valid today,
   * its key the one given, and issued by the trusted authority.
   *
   * @throws IllegalArgumentException what is wrong
   */
  public void check() {
    List<X509Certificate> authorities = certificates(ca, "--tls-ca");
    if (!hasIdentity()) {
      return;
    }
    List<X509Certificate> chain = certificates(cert, "--tls-cert");
    X509Certificate leaf = chain.get(0);
    try {
      leaf.checkValidity(new Date());
    } catch (CertificateException e) {
      throw new IllegalArgumentException("certificate " + cert + " (" + leaf.getSubjectX500Principal().getName()
          + ") is not valid now: valid from " + leaf.getNotBefore().toInstant() + " to " + leaf.getNotAfter().toInstant());
    }
    try {
      // Readable by a group is allowed: Kubernetes mounts a Secret for the pod's fsGroup.
      if (Files.getPosixFilePermissions(key).contains(PosixFilePermission.OTHERS_READ)) {
        throw new IllegalArgumentException("private key " + key + " is readable by every user: chmod 600 it (or 640, for a group you trust)");
      }
    } catch (UnsupportedOperationException notPosix) {
      // A file system without POSIX permissions: nothing to check.
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read private key " + key + ": " + e.getMessage());
    }
    PrivateKey privateKey = privateKey(key);
    if (!matches(privateKey, leaf)) {
      throw new IllegalArgumentException("private key " + key + " is not the key of certificate " + cert);
    }
    X509Certificate top = chain.get(chain.size() - 1);
    boolean issued = authorities.stream().anyMatch(authority -> issuedBy(top, authority));
    if (!issued) {
      throw new IllegalArgumentException("certificate " + cert + " is not issued by the authority in " + ca
          + " (its issuer: " + top.getIssuerX500Principal().getName() + ")");
    }
  }

  /** The subject of the identity's certificate (RFC 2253), as a principal names it. */
  public String subject() {
    return certificates(cert, "--tls-cert").get(0).getSubjectX500Principal().getName();
  }

  /** Credentials for a client: it trusts {@link #ca}, and presents the identity if there is one. */
  public ChannelCredentials channelCredentials(ScheduledExecutorService reloader, long reloadSecs) {
    TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder().trustManager(trustManager(reloader, reloadSecs));
    if (hasIdentity()) {
      builder.keyManager(keyManager(reloader, reloadSecs));
    }
    return builder.build();
  }

  /**
   * Credentials for a server presenting the identity; a client certificate issued by {@link #ca}
   * is asked for, and required if {@code requireClientCertificate}.
   */
  public ServerCredentials serverCredentials(ScheduledExecutorService reloader, long reloadSecs, boolean requireClientCertificate) {
    return TlsServerCredentials.newBuilder()
        .keyManager(keyManager(reloader, reloadSecs))
        .trustManager(trustManager(reloader, reloadSecs))
        .clientAuth(requireClientCertificate ? TlsServerCredentials.ClientAuth.REQUIRE : TlsServerCredentials.ClientAuth.OPTIONAL)
        .build();
  }

  /** The identity to present, read again every {@code reloadSecs}. */
  public AdvancedTlsX509KeyManager keyManager(ScheduledExecutorService reloader, long reloadSecs) {
    AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    try {
      keys.updateIdentityCredentials(cert.toFile(), key.toFile());
      reloadEvery(reloader, reloadSecs, List.of(cert, key), () -> keys.updateIdentityCredentials(cert.toFile(), key.toFile()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot load certificate " + cert + " with key " + key + ": " + e.getMessage(), e);
    }
    return keys;
  }

  private AdvancedTlsX509TrustManager trustManager(ScheduledExecutorService reloader, long reloadSecs) {
    return trustManager(reloader, reloadSecs, AdvancedTlsX509TrustManager.newBuilder()
        .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION));
  }

  /**
   * Trusts peers whose certificate the authority issued (read again every {@code reloadSecs}), of
   * any host name, and whose leaf certificate {@code peers} accepts.
   */
  public AdvancedTlsX509TrustManager peerTrustManager(
      ScheduledExecutorService reloader, long reloadSecs, Predicate<X509Certificate> peers) {
    return trustManager(reloader, reloadSecs, AdvancedTlsX509TrustManager.newBuilder()
        .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
        .setSslSocketAndEnginePeerVerifier(new AdvancedTlsX509TrustManager.SslSocketAndEnginePeerVerifier() {
          @Override
          public void verifyPeerCertificate(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            verify(chain);
          }

          @Override
          public void verifyPeerCertificate(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            verify(chain);
          }

          private void verify(X509Certificate[] chain) throws CertificateException {
            if (!peers.test(chain[0])) {
              throw new CertificateException(chain[0].getSubjectX500Principal().getName() + " is not let in as a peer");
            }
          }
        }));
  }

  private AdvancedTlsX509TrustManager trustManager(
      ScheduledExecutorService reloader, long reloadSecs, AdvancedTlsX509TrustManager.Builder builder) {
    try {
      AdvancedTlsX509TrustManager trust = builder.build();
      trust.updateTrustCredentials(ca.toFile());
      reloadEvery(reloader, reloadSecs, List.of(ca), () -> trust.updateTrustCredentials(ca.toFile()));
      return trust;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot load the trusted authority " + ca + ": " + e.getMessage(), e);
    }
  }

  /** A reload of TLS files. */
  private interface Load {
    void run() throws IOException, GeneralSecurityException;
  }

  /**
   * Runs {@code load} every {@code reloadSecs} in which one of {@code files} changed (grpc's own
   * reloading reads them at most once a minute, whatever it is asked), once the files pass {@link
   * #check}: an expired certificate, or one written before its new key, is not taken up. What fails
   * keeps the credentials in use, says why, and is tried again at the next period.
   */
  private void reloadEvery(ScheduledExecutorService reloader, long reloadSecs, List<Path> files, Load load) {
    AtomicReference<List<Long>> loaded = new AtomicReference<>(lastModified(files));
    reloader.scheduleWithFixedDelay(() -> {
      List<Long> modified = lastModified(files);
      if (modified.equals(loaded.get())) {
        return;
      }
      try {
        check();
        load.run();
        loaded.set(modified);
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        RELOAD_LOG.log(System.Logger.Level.WARNING, "cannot reload " + files + ", keeping the ones in use: " + e.getMessage());
      }
    }, reloadSecs, reloadSecs, TimeUnit.SECONDS);
  }

  private static List<Long> lastModified(List<Path> files) {
    return files.stream().map(file -> file.toFile().lastModified()).toList();
  }

  private static List<X509Certificate> certificates(Path file, String flag) {
    try {
      List<X509Certificate> out = new ArrayList<>();
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      factory.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)))
          .forEach(c -> out.add((X509Certificate) c));
      if (out.isEmpty()) {
        throw new IllegalArgumentException(flag + " " + file + " holds no certificate (PEM, BEGIN CERTIFICATE)");
      }
      return out;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + flag + " " + file + ": " + e.getMessage(), e);
    } catch (CertificateException e) {
      throw new IllegalArgumentException(flag + " " + file + " is not a PEM certificate: " + e.getMessage(), e);
    }
  }

  private static PrivateKey privateKey(Path file) {
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read private key " + file + ": " + e.getMessage(), e);
    }
    int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = pem.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException("private key " + file + " is not PKCS#8 PEM (BEGIN PRIVATE KEY);"
          + " convert it with: openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW");
    }
    byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
    for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException tryTheNext) {
        // not a key of this algorithm
      }
    }
    throw new IllegalArgumentException("private key " + file + " is neither an EC, RSA nor Ed25519 key");
  }

  private static boolean matches(PrivateKey privateKey, X509Certificate certificate) {
    try {
      Signature signer = Signature.getInstance(signatureAlgorithm(privateKey));
      byte[] probe = "ordo".getBytes(StandardCharsets.US_ASCII);
      signer.initSign(privateKey);
      signer.update(probe);
      byte[] signature = signer.sign();
      signer.initVerify(certificate.getPublicKey());
      signer.update(probe);
      return signer.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String signatureAlgorithm(PrivateKey key) {
    return switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default -> key.getAlgorithm();
    };
  }

  private static boolean issuedBy(X509Certificate certificate, X509Certificate authority) {
    try {
      certificate.verify(authority.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
