package io.ordo.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.v1.ScramCredential;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class ScramTest {
  @Test
  void aCredentialIsTheOneOfRfc7677sExample() throws Exception {
    // RFC 7677 section 3: user "user", password "pencil". A server holding the right stored and
    // server keys accepts the client's proof and computes the server signature the RFC shows.
    ScramCredential credential = Scram.credential(
        "pencil".toCharArray(), Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
    String authMessage = "n=user,r=rOprNGfwEbeRWgbNEkqO,"
        + "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        + "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    byte[] proof = Base64.getDecoder().decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");

    byte[] clientSignature = hmac(credential.getStoredKey().toByteArray(), authMessage);
    byte[] clientKey = new byte[proof.length];
    for (int i = 0; i < proof.length; i++) {
      clientKey[i] = (byte) (proof[i] ^ clientSignature[i]);
    }
    assertThat(java.security.MessageDigest.getInstance("SHA-256").digest(clientKey)).isEqualTo(credential.getStoredKey().toByteArray());
    assertThat(Base64.getEncoder().encodeToString(hmac(credential.getServerKey().toByteArray(), authMessage)))
        .isEqualTo("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  }

  @Test
  void onlyThePasswordACredentialWasMadeFromMatchesIt() {
    ScramCredential credential = Scram.credential("correct horse".toCharArray(), Scram.DEFAULT_ITERATIONS);

    assertThat(Scram.matches("correct horse".toCharArray(), credential)).isTrue();
    assertThat(Scram.matches("correct hors".toCharArray(), credential)).isFalse();
    assertThat(Scram.problemWith(credential)).isNull();
    assertThat(Scram.credential("correct horse".toCharArray(), Scram.DEFAULT_ITERATIONS).getSalt())
        .as("every credential has a salt of its own").isNotEqualTo(credential.getSalt());
  }

  private static byte[] hmac(byte[] key, String text) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(text.getBytes(StandardCharsets.US_ASCII));
  }
}
