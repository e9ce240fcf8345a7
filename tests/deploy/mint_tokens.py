"""Prints one access token per user id, signed like the app signs them (HS256 with JWT_SECRET, iss
"switchyard", sub = user id, 15 min), so the deploy e2e suite can open chat sessions for users it put
straight into MySQL: Kakao's servers are not reachable from a test.

Usage: mint_tokens.py <env-file-with-JWT_SECRET> <user-id>...   (Debian's python3-jwt)
"""
import sys
import time

import jwt


def jwt_secret(env_file):
    with open(env_file) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if key == "JWT_SECRET" and value:
                return value
    sys.exit(f"no JWT_SECRET in {env_file}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    secret = jwt_secret(sys.argv[1]).encode("utf-8")
    now = int(time.time())
    for user_id in sys.argv[2:]:
        claims = {"iss": "switchyard", "sub": str(int(user_id)), "iat": now, "exp": now + 900}
        print(jwt.encode(claims, secret, algorithm="HS256"))


if __name__ == "__main__":
    main()
