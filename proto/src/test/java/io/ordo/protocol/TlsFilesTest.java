package io.ordo.protocol;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
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
}
