package io.switchyard.user;

import io.switchyard.support.error.ApiException;
import io.switchyard.support.error.ErrorCode;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class UserService {

    private static final String GENERATED_NICKNAME_PREFIX = "user-";
    private static final char[] ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();

    private final UserRepository users;
    private final ApplicationEventPublisher events;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    UserService(UserRepository users, ApplicationEventPublisher events, Clock clock) {
        this.users = users;
        this.events = events;
        this.clock = clock;
    }

    @Transactional(readOnly = true)
    public UserResponse profile(long userId) {
        return users.findById(userId)
                .filter(user -> !user.isDeleted())
                .map(UserResponse::from)
                .orElseThrow(() -> new ApiException(ErrorCode.USER_NOT_FOUND,
                        "The signed-in user no longer exists."));
    }

    /**
     * Creates the user on their first Kakao login, or refreshes the profile on later ones, and stamps the login.
     * Without a nickname from Kakao the user keeps the one they have, or gets a generated one.
     * Two first logins racing for one Kakao id: the loser fails on the unique key and may simply call again.
     */
    @Transactional
    public UserResponse recordKakaoLogin(long kakaoId, UserProfile profile, Instant when) {
        // the columns keep microseconds: answer what a later read will return
        Instant now = when.truncatedTo(ChronoUnit.MICROS);
        User user = users.findByKakaoId(kakaoId).orElse(null);
        if (user == null) {
            UserProfile named = profile.nickname() != null ? profile : profile.withNickname(generatedNickname());
            user = users.save(User.register(kakaoId, named, now));
        } else {
            user.applyProfile(profile.nickname() != null ? profile : profile.withNickname(user.getNickname()), now);
        }
        user.recordLogin(now);
        return UserResponse.from(user);
    }

    /**
     * Deletes the account: every login ends (refresh tokens, access tokens, chat sockets), every membership goes
     * (the user leaves every room), and the user row is anonymised (see {@link User#anonymise}); messages stay in
     * their rooms under the anonymised sender. Deleting twice is not an error.
     */
    @Transactional
    public void deleteAccount(long userId) {
        User user = users.findById(userId).orElse(null);
        if (user == null || user.isDeleted()) {
            return;
        }
        events.publishEvent(new AccountDeleting(userId));
        user.anonymise(clock.instant().truncatedTo(ChronoUnit.MICROS));
    }

    private String generatedNickname() {
        StringBuilder nickname = new StringBuilder(GENERATED_NICKNAME_PREFIX);
        for (int i = 0; i < 8; i++) {
            nickname.append(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        return nickname.toString();
    }
}
