package io.switchyard.user;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A person who signed in with Kakao. State changes only through the domain methods below. */
@Entity
@Table(name = "users")
public class User {

    public static final int NICKNAME_MAX = 40;
    public static final int URL_MAX = 500;
    public static final int EMAIL_MAX = 320;

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(name = "kakao_id", nullable = false, unique = true, updatable = false)
    private Long kakaoId;

    @Column(nullable = false, length = NICKNAME_MAX)
    private String nickname;

    @Column(name = "profile_image_url", length = URL_MAX)
    private String profileImageUrl;

    @Column(name = "thumbnail_image_url", length = URL_MAX)
    private String thumbnailImageUrl;

    @Column(length = EMAIL_MAX)
    private String email;

    @Column(name = "created_at", nullable = false, updatable = false)
    private Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    @Column(name = "last_login_at")
    private Instant lastLoginAt;

    protected User() {
        // for JPA
    }

    private User(long kakaoId, Instant now) {
        this.kakaoId = kakaoId;
        this.createdAt = now;
        this.updatedAt = now;
    }

    /** A new user from a Kakao profile; callers pass values already sanitized to the column limits. */
    public static User register(long kakaoId, UserProfile profile, Instant now) {
        User user = new User(kakaoId, now);
        user.applyProfile(profile, now);
        return user;
    }

    /** Refreshes what Kakao tells us on every login (the user may have changed consents). */
    public void applyProfile(UserProfile profile, Instant now) {
        this.nickname = profile.nickname();
        this.profileImageUrl = profile.profileImageUrl();
        this.thumbnailImageUrl = profile.thumbnailImageUrl();
        this.email = profile.email();
        this.updatedAt = now;
    }

    public void recordLogin(Instant now) {
        this.lastLoginAt = now;
    }

    public Long getId() {
        return id;
    }

    public Long getKakaoId() {
        return kakaoId;
    }

    public String getNickname() {
        return nickname;
    }

    public String getProfileImageUrl() {
        return profileImageUrl;
    }

    public String getThumbnailImageUrl() {
        return thumbnailImageUrl;
    }

    public String getEmail() {
        return email;
    }

    public Instant getCreatedAt() {
        return createdAt;
    }

    public Instant getUpdatedAt() {
        return updatedAt;
    }

    public Instant getLastLoginAt() {
        return lastLoginAt;
    }
}
