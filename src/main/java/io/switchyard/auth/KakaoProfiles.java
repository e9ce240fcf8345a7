package io.switchyard.auth;

import io.switchyard.user.User;
import io.switchyard.user.UserProfile;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Turns what Kakao says about a user into a {@link UserProfile} that fits our columns. Values we cannot use safely
 * become null rather than being stored half-broken: a truncated URL is a broken URL.
 */
final class KakaoProfiles {

    private KakaoProfiles() {
    }

    static UserProfile toProfile(KakaoUser user) {
        KakaoUser.Profile profile = user.account() == null ? null : user.account().profile();
        KakaoUser.Properties legacy = user.properties();
        String nickname = firstNonNull(
                nickname(profile == null ? null : profile.nickname()),
                nickname(legacy == null ? null : legacy.nickname()));
        String image = firstNonNull(
                url(profile == null ? null : profile.profileImageUrl()),
                url(legacy == null ? null : legacy.profileImage()));
        String thumbnail = firstNonNull(
                url(profile == null ? null : profile.thumbnailImageUrl()),
                url(legacy == null ? null : legacy.thumbnailImage()));
        return new UserProfile(nickname, image, thumbnail, email(user.account()));
    }

    /**
     * Drops control and invisible formatting characters (bidi overrides, zero-width joiners used to spoof names) and
     * angle brackets, collapses whitespace, and cuts to the column size without splitting a surrogate pair.
     * Returns null when nothing printable is left.
     */
    static String nickname(String raw) {
        if (raw == null) {
            return null;
        }
        StringBuilder cleaned = new StringBuilder(Math.min(raw.length(), User.NICKNAME_MAX * 2));
        boolean pendingSpace = false;
        for (int i = 0; i < raw.length(); ) {
            int cp = raw.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                pendingSpace = cleaned.length() > 0;
                continue;
            }
            int type = Character.getType(cp);
            if (type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE
                    || type == Character.SURROGATE || type == Character.UNASSIGNED || cp == '<' || cp == '>') {
                continue;
            }
            String next = (pendingSpace ? " " : "") + new String(Character.toChars(cp));
            if (cleaned.length() + next.length() > User.NICKNAME_MAX) {
                break;
            }
            cleaned.append(next);
            pendingSpace = false;
        }
        return cleaned.length() == 0 ? null : cleaned.toString();
    }

    /** An absolute http(s) URL with a host, printable ASCII only, within the column size; otherwise null. */
    static String url(String raw) {
        if (raw == null) {
            return null;
        }
        String candidate = raw.strip();
        if (candidate.isEmpty() || candidate.length() > User.URL_MAX) {
            return null;
        }
        for (int i = 0; i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\') {
                return null;
            }
        }
        try {
            URI uri = new URI(candidate);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null || uri.getUserInfo() != null) {
                return null;
            }
        } catch (URISyntaxException notAUrl) {
            return null;
        }
        return candidate;
    }

    /** Only an address Kakao calls valid and verified (absent flags count as yes), of a plausible shape. */
    static String email(KakaoUser.Account account) {
        if (account == null || account.email() == null
                || Boolean.FALSE.equals(account.emailValid()) || Boolean.FALSE.equals(account.emailVerified())) {
            return null;
        }
        String email = account.email().strip();
        if (email.isEmpty() || email.length() > User.EMAIL_MAX) {
            return null;
        }
        int at = email.indexOf('@');
        if (at <= 0 || at != email.lastIndexOf('@') || at == email.length() - 1) {
            return null;
        }
        for (int i = 0; i < email.length(); i++) {
            char c = email.charAt(i);
            if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"') {
                return null;
            }
        }
        return email;
    }

    private static String firstNonNull(String first, String second) {
        return first != null ? first : second;
    }
}
