#!/usr/bin/env python3
"""Which snapshots restic's forget policy keeps: an independent reading of its documented rules.

Each --keep-<unit> N walks the snapshots newest first and keeps the newest one of each of the N most
recent <unit>s that have a snapshot (hour, day, ISO week); a snapshot any rule keeps stays. Applied
after every run, as the backup timer does.

usage: retention_oracle.py <hourly> <daily> <weekly> < times (one ISO-8601 UTC time per line, in run
order) -> the kept times, oldest first, one per line.
"""
import sys
from datetime import datetime, timezone

BUCKETS = {
    "hourly": lambda t: (t.year, t.month, t.day, t.hour),
    "daily": lambda t: (t.year, t.month, t.day),
    "weekly": lambda t: t.isocalendar()[:2],
}


def apply_policy(snapshots, keep):
    kept = set()
    for unit, count in keep.items():
        last = None
        for t in sorted(snapshots, reverse=True):
            if count == 0:
                break
            bucket = BUCKETS[unit](t)
            if bucket != last:
                kept.add(t)
                last = bucket
                count -= 1
    return kept


def main():
    keep = dict(zip(("hourly", "daily", "weekly"), (int(a) for a in sys.argv[1:4])))
    snapshots = set()
    for line in sys.stdin:
        if line.strip():
            t = datetime.strptime(line.strip(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            snapshots.add(t)
            snapshots = apply_policy(snapshots, keep)
    for t in sorted(snapshots):
        print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))


if __name__ == "__main__":
    main()
