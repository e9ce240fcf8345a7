package io.switchyard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.user.User;
import io.switchyard.user.UserProfile;
import org.junit.jupiter.api.Test;

class KakaoProfilesTest {

    @Test
    void takesTheAccountProfileFirstAndTheLegacyPropertiesAsFallback() {
        KakaoUser user = new KakaoUser(1L,
                new KakaoUser.Properties("legacy", "https://cdn.example/legacy.jpg", "https://cdn.example/legacy_t.jpg"),
                new KakaoUser.Account(new KakaoUser.Profile("current", null, "https://cdn.example/t.jpg"),
                        "a@example.test", true, true));

        UserProfile profile = KakaoProfiles.toProfile(user);

        assertThat(profile).isEqualTo(new UserProfile("current", "https://cdn.example/legacy.jpg",
                "https://cdn.example/t.jpg", "a@example.test"));
    }

    @Test
    void nothingConsentedGivesAnEmptyProfile() {
        assertThat(KakaoProfiles.toProfile(new KakaoUser(1L, null, null)))
                .isEqualTo(new UserProfile(null, null, null, null));
    }

    @Test
    void nicknameLosesControlAndInvisibleCharactersAndMarkup() {
        assertThat(KakaoProfiles.nickname("  Ry\u0000an\u202E \t\n <b>Lee</b>\u200B ")).isEqualTo("Ryan bLee/b");
    }

    @Test
    void nicknameIsCutToTheColumnWithoutSplittingASurrogatePair() {
        String longName = "a".repeat(User.NICKNAME_MAX - 1) + "\uD83D\uDE00" + "tail";

        String nickname = KakaoProfiles.nickname(longName);

        assertThat(nickname).isEqualTo("a".repeat(User.NICKNAME_MAX - 1));
        assertThat(KakaoProfiles.nickname("😀".repeat(30))).hasSize(User.NICKNAME_MAX).isEqualTo("😀".repeat(20));
    }

    @Test
    void blankOrInvisibleNicknameIsNone() {
        assertThat(KakaoProfiles.nickname("   ")).isNull();
        assertThat(KakaoProfiles.nickname("\u200B\u202E")).isNull();
        assertThat(KakaoProfiles.nickname(null)).isNull();
    }

    @Test
    void onlyPlainHttpUrlsWithinTheColumnAreKept() {
        assertThat(KakaoProfiles.url(" https://k.kakaocdn.net/dn/a/img.jpg ")).isEqualTo("https://k.kakaocdn.net/dn/a/img.jpg");
        assertThat(KakaoProfiles.url("http://k.kakaocdn.net/dn/a/img.jpg")).isEqualTo("http://k.kakaocdn.net/dn/a/img.jpg");
        assertThat(KakaoProfiles.url("javascript:alert(1)")).isNull();
        assertThat(KakaoProfiles.url("data:image/png;base64,AAAA")).isNull();
        assertThat(KakaoProfiles.url("/relative/img.jpg")).isNull();
        assertThat(KakaoProfiles.url("https://user:pw@cdn.example/img.jpg")).isNull();
        assertThat(KakaoProfiles.url("https://cdn.example/a b.jpg")).isNull();
        assertThat(KakaoProfiles.url("https://cdn.example/\"onerror=x")).isNull();
        assertThat(KakaoProfiles.url("https://cdn.example/" + "a".repeat(User.URL_MAX))).isNull();
    }

    @Test
    void emailOnlyWhenValidVerifiedAndPlausible() {
        assertThat(KakaoProfiles.email(account("a@example.test", true, true))).isEqualTo("a@example.test");
        assertThat(KakaoProfiles.email(account("a@example.test", null, null))).isEqualTo("a@example.test");
        assertThat(KakaoProfiles.email(account("a@example.test", false, true))).isNull();
        assertThat(KakaoProfiles.email(account("a@example.test", true, false))).isNull();
        assertThat(KakaoProfiles.email(account("not-an-email", true, true))).isNull();
        assertThat(KakaoProfiles.email(account("a@b@c", true, true))).isNull();
        assertThat(KakaoProfiles.email(account("a b@example.test", true, true))).isNull();
    }

    private static KakaoUser.Account account(String email, Boolean valid, Boolean verified) {
        return new KakaoUser.Account(null, email, valid, verified);
    }
}
