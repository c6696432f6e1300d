package io.ordo.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.util.AdvancedTlsX509KeyManager;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a node or client is told when its TLS files will not do. */
class TlsFilesTest {
  @TempDir Path dir;

  @Test
  void aCertificateTheAuthorityIssuedWithItsOwnKeyPasses() {
    TestCertificates.Authority ca = TestCertificates.authority(dir, "ca");
    TestCertificates.Identity node = TestCertificates.issue(ca, dir, "node");

    assertThatCode(() -> new TlsFiles(ca.certificate(), node.certificate(), node.key()).check()).doesNotThrowAnyException();
    assertThatCode(() -> new TlsFiles(ca.certificate(), null, null).check()).doesNotThrowAnyException();
  }

  @Test
  void anExpiredCertificateIsRefusedWithItsDates() {
    TestCertificates.Authority ca = TestCertificates.authority(dir, "ca");
    TestCertificates.Identity old = TestCertificates.issue(
        ca, dir, "old", Instant.now().minus(Duration.ofDays(3)), Instant.now().minus(Duration.ofDays(1)));

    assertThatThrownBy(() -> new TlsFiles(ca.certificate(), old.certificate(), old.key()).check())
        .hasMessageContaining("is not valid now").hasMessageContaining("CN=old");
  }

  @Test
  void aCertificateOfAnotherAuthorityOrAnotherKeyIsRefused() throws Exception {
    TestCertificates.Authority ca = TestCertificates.authority(dir, "ca");
    TestCertificates.Authority other = TestCertificates.authority(dir, "other");
    TestCertificates.Identity stranger = TestCertificates.issue(other, dir, "stranger");
    TestCertificates.Identity node = TestCertificates.issue(ca, dir, "node");

    assertThatThrownBy(() -> new TlsFiles(ca.certificate(), stranger.certificate(), stranger.key()).check())
        .hasMessageContaining("is not issued by the authority");
    assertThatThrownBy(() -> new TlsFiles(ca.certificate(), node.certificate(), stranger.key()).check())
        .hasMessageContaining("is not the key of certificate");
  }

  @Test
  void aKeyOthersCanReadOrNotPemIsRefusedSayingWhatToDo() throws Exception {
    TestCertificates.Authority ca = TestCertificates.authority(dir, "ca");
    TestCertificates.Identity node = TestCertificates.issue(ca, dir, "node");
    Files.setPosixFilePermissions(node.key(), PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> new TlsFiles(ca.certificate(), node.certificate(), node.key()).check())
        .hasMessageContaining("readable by every user: chmod 600");
    Files.setPosixFilePermissions(node.key(), PosixFilePermissions.fromString("rw-r-----"));
    new TlsFiles(ca.certificate(), node.certificate(), node.key()).check(); // a group's, as Kubernetes mounts Secrets
    Files.setPosixFilePermissions(node.key(), PosixFilePermissions.fromString("rw-------"));
    Files.writeString(node.key(), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    assertThatThrownBy(() -> new TlsFiles(ca.certificate(), node.certificate(), node.key()).check())
        .hasMessageContaining("openssl pkcs8 -topk8");
    assertThatThrownBy(() -> new TlsFiles(dir.resolve("missing.pem"), null, null).check())
        .hasMessageContaining("cannot read --tls-ca");
  }

  @Test
  void replacedFilesAreTakenUpWithinAPeriodOnceTheyPassTheChecks() throws Exception {
    TestCertificates.Authority ca = TestCertificates.authority(dir, "ca");
    TestCertificates.Identity node = TestCertificates.issue(ca, dir, "node");
    Path renewedDir = Files.createDirectories(dir.resolve("renewed"));
    TestCertificates.Identity renewed = TestCertificates.issue(ca, renewedDir, "node");
    ScheduledExecutorService reloader = Executors.newSingleThreadScheduledExecutor();
    try {
      AdvancedTlsX509KeyManager keys = new TlsFiles(ca.certificate(), node.certificate(), node.key()).keyManager(reloader, 1);
      BigInteger first = presented(keys);

      // The new certificate before its key: not the key of the certificate, so not taken up.
      replace(renewed.certificate(), node.certificate());
      TimeUnit.MILLISECONDS.sleep(2_500);
      assertThat(presented(keys)).isEqualTo(first);

      replace(renewed.key(), node.key());
      BigInteger expected = ((X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(renewed.certificate())))).getSerialNumber();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!presented(keys).equals(expected) && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(100);
      }
      assertThat(presented(keys)).isEqualTo(expected);
    } finally {
      reloader.shutdownNow();
    }
  }

  private static BigInteger presented(AdvancedTlsX509KeyManager keys) {
    String alias = keys.chooseEngineServerAlias("EC", null, null);
    return keys.getCertificateChain(alias)[0].getSerialNumber();
  }

  /** Replaces {@code target} whole with a copy of {@code source}, as an agent renewing files would. */
  private static void replace(Path source, Path target) throws Exception {
    Path next = target.resolveSibling(target.getFileName() + ".next");
    Files.copy(source, next, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rw-------"));
    Files.move(next, target, StandardCopyOption.ATOMIC_MOVE);
  }
}
