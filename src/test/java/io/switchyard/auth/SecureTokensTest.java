package io.switchyard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SecureTokensTest {

    @Test
    void s256IsTheChallengeOfRfc7636AppendixB() {
        assertThat(SecureTokens.s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
                .isEqualTo("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    @Test
    void onlyTheSameMaterialOpensASealedValue() {
        String sealed = SecureTokens.seal("next-token", "rotated-token");

        assertThat(sealed).doesNotContain("next-token");
        assertThat(SecureTokens.unseal(sealed, "rotated-token")).isEqualTo("next-token");
        assertThat(SecureTokens.unseal(sealed, "another-token")).isNull();
        assertThat(SecureTokens.unseal("not base64 !", "rotated-token")).isNull();
        assertThat(SecureTokens.seal("next-token", "rotated-token")).as("a fresh IV each time").isNotEqualTo(sealed);
    }
}
