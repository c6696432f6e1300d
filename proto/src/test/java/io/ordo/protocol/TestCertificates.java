package io.ordo.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates for tests, written as the PEM files a node or client is given: an authority, and
 * certificates it issues for 127.0.0.1 and localhost, valid when the test says.
 */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** An authority: its certificate file (PEM) and what it needs to issue more. */
  public record Authority(Path certificate, KeyPair keys, X509Certificate cert) {}

  /** An issued identity's files. */
  public record Identity(Path certificate, Path key) {}

  private TestCertificates() {}

  /** A new authority named {@code name}, its certificate written to {@code dir/name.pem}. */
  public static Authority authority(Path dir, String name) {
    KeyPair keys = keyPair();
    X509Certificate cert = sign(new X500Name("CN=" + name), keys, new X500Name("CN=" + name), keys,
        Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1)), true, List.of());
    Path file = dir.resolve(name + ".pem");
    write(file, pem("CERTIFICATE", encoded(cert)));
    return new Authority(file, keys, cert);
  }

  /** A certificate for {@code name} at 127.0.0.1 and localhost, valid for a day from an hour ago. */
  public static Identity issue(Authority authority, Path dir, String name) {
    return issue(authority, dir, name, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1)));
  }

  /** The same, valid from {@code notBefore} to {@code notAfter}; the key is readable by its owner only. */
  public static Identity issue(Authority authority, Path dir, String name, Instant notBefore, Instant notAfter) {
    return issue(authority, dir, name, notBefore, notAfter, List.of());
  }

  /** As {@link #issue(Authority, Path, String)}, at {@code ipAddresses} too (containers' addresses). */
  public static Identity issue(Authority authority, Path dir, String name, List<String> ipAddresses) {
    return issue(authority, dir, name, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1)), ipAddresses);
  }

  private static Identity issue(Authority authority, Path dir, String name, Instant notBefore, Instant notAfter, List<String> ipAddresses) {
    KeyPair keys = keyPair();
    X509Certificate cert = sign(new X500Name("CN=" + name), keys, new X500Name(authority.cert().getSubjectX500Principal().getName()),
        authority.keys(), notBefore, notAfter, false, ipAddresses);
    Path certificate = dir.resolve(name + ".pem");
    Path key = dir.resolve(name + ".key");
    write(certificate, pem("CERTIFICATE", encoded(cert)));
    write(key, pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    try {
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Identity(certificate, key);
  }

  private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys, Instant notBefore,
      Instant notAfter, boolean authority, List<String> ipAddresses) {
    try {
      JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          issuer, BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore), Date.from(notAfter), subject, subjectKeys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
      if (authority) {
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        List<GeneralName> names = new ArrayList<>(List.of(
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")));
        ipAddresses.forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip)));
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot make a test certificate", e);
    }
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime has EC P-256", e);
    }
  }

  private static byte[] encoded(X509Certificate cert) {
    try {
      return cert.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
