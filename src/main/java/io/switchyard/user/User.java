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
    public static final String DELETED_NICKNAME = "deleted-user";

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    /** Negative once the account is deleted: the Kakao account may sign up again as a new user. */
    @Column(name = "kakao_id", nullable = false, unique = true)
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

    @Column(name = "deleted_at")
    private Instant deletedAt;

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

    /**
     * Account deletion: what identifies the person goes (nickname, images, email, the Kakao id, which becomes the
     * negative row id so the unique key holds and the Kakao account can sign up afresh); the row stays, so messages
     * and rooms that name this id keep a sender, shown as {@link #DELETED_NICKNAME}.
     */
    public void anonymise(Instant now) {
        this.kakaoId = -id;
        this.nickname = DELETED_NICKNAME;
        this.profileImageUrl = null;
        this.thumbnailImageUrl = null;
        this.email = null;
        this.updatedAt = now;
        this.deletedAt = now;
    }

    public boolean isDeleted() {
        return deletedAt != null;
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
