-- Portable between MySQL/MariaDB and H2 in MySQL mode (the embedded default).
-- Blue and green share this schema during a switch: later migrations must stay backward compatible.
CREATE TABLE users (
    id                  BIGINT       NOT NULL AUTO_INCREMENT,
    kakao_id            BIGINT       NOT NULL,
    nickname            VARCHAR(40)  NOT NULL,
    profile_image_url   VARCHAR(500),
    thumbnail_image_url VARCHAR(500),
    email               VARCHAR(320),
    created_at          DATETIME(6)  NOT NULL,
    updated_at          DATETIME(6)  NOT NULL,
    last_login_at       DATETIME(6),
    PRIMARY KEY (id),
    CONSTRAINT uk_users_kakao_id UNIQUE (kakao_id)
);
