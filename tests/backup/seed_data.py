#!/usr/bin/env python3
"""The backup suite's data set, generated deterministically: SQL for MySQL, commands for redis-cli,
JSON lines for the MongoDB stub. Strings carry quotes, backslashes, newlines, tabs and non-ASCII
text, so a dump and restore that mangles any of them shows in the content comparison.

usage: seed_data.py sql|redis|mongo <users> <blob-bytes>
"""
import base64
import json
import random
import sys


def tricky(n):
    return "user %d it's \"quoted\" \\ back\nslash\ttab ☃ 한글" % n


def sql(users, blob_bytes):
    rnd = random.Random(20)
    print("CREATE TABLE users (id BIGINT PRIMARY KEY, kakao_id BIGINT NOT NULL UNIQUE, nickname VARCHAR(200),"
          " email VARCHAR(200) NULL, created_at DATETIME(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;")
    print("CREATE TABLE chat_rooms (id BIGINT PRIMARY KEY, name VARCHAR(200) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;")
    print("CREATE TABLE blobs (id INT PRIMARY KEY, data LONGTEXT NOT NULL) ENGINE=InnoDB;")
    print("CREATE TABLE empty_table (id INT PRIMARY KEY) ENGINE=InnoDB;")
    print("CREATE TABLE flyway_schema_history (installed_rank INT PRIMARY KEY, version VARCHAR(50),"
          " description VARCHAR(200) NOT NULL, success TINYINT(1) NOT NULL) ENGINE=InnoDB;")
    print("INSERT INTO flyway_schema_history VALUES (1, '1', 'create users', 1), (2, '10', 'create chat rooms', 1);")

    def q(s):
        return "NULL" if s is None else "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t") + "'"

    for start in range(1, users + 1, 500):
        rows = []
        for n in range(start, min(start + 500, users + 1)):
            email = None if n % 3 == 0 else "u%d@example.test" % n
            rows.append("(%d, %d, %s, %s, '2024-01-%02d 10:%02d:%02d.%06d')" % (
                n, 10_000_000 + n, q(tricky(n)), q(email), 1 + n % 28, n % 60, (n * 7) % 60, n))
        print("INSERT INTO users VALUES %s;" % ",".join(rows))
    print("INSERT INTO chat_rooms VALUES %s;" % ",".join("(%d, %s)" % (n, q("room %d ☃" % n)) for n in range(1, users // 10 + 1)))
    chunk = 1_000_000
    for i in range(max(1, blob_bytes // chunk)):
        data = base64.b64encode(rnd.randbytes(chunk * 3 // 4)).decode()
        print("INSERT INTO blobs VALUES (%d, '%s');" % (i + 1, data))


def redis(users):
    for n in range(1, users + 1):
        print('SET "session:%d" "%s"' % (n, tricky(n).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")))
    for n in range(1, users // 10 + 1):
        print('HSET "room:%d" name "room %d" members %d' % (n, n, n % 7))
        print('RPUSH "room:%d:recent" a b c %d' % (n, n))
    for n in range(1, 51):
        print('SET "refresh:%d" "token-%d" EX 3600' % (n, n))


def mongo(users):
    for n in range(1, users * 2 + 1):
        print(json.dumps({"_id": n, "roomId": n % (users // 10 or 1), "text": tricky(n)}, ensure_ascii=False))


def main():
    kind, users, blob_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    {"sql": lambda: sql(users, blob_bytes), "redis": lambda: redis(users), "mongo": lambda: mongo(users)}[kind]()


if __name__ == "__main__":
    main()
