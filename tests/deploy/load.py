"""Closed-loop HTTP load through nginx for the deploy e2e suite; counts every failed request.

A request fails when it gets no response, a non-2xx status, or a body without "UP" (when --expect-up).
Modes:
  keepalive (default): each worker keeps one HTTP/1.1 connection, like a browser or an API client.
      When a *reused* connection is closed by the server before any byte of the response arrives
      (nginx closes idle keep-alive connections of its old workers on reload), the request is resent
      once on a fresh connection - what RFC 9112 §9.3.1 lets clients do for idempotent requests and
      what browsers, curl and Java clients do. Those are counted as "stale_retries", not failures.
      Any other error, or a second failure, is a failure.
  close: a new connection per request (Connection: close); no retry at all.
--header "Name: value" (repeatable) is sent with every request (e.g. a bearer token for a real API route).
Runs until --stop-file exists or --duration passes; prints one JSON summary line and writes it to --out.
The summary also has the wall-clock times (epoch seconds) of the first failed request and of the first and
last response from each color, so a test can tell how long clients saw a bad color.
An https:// URL is fetched over TLS, verified against --cafile (default: the system's CAs).
"""
import argparse
import http.client
import json
import os
import ssl
import threading
import time
from urllib.parse import urlsplit

STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError,
         ssl.SSLEOFError, ssl.SSLZeroReturnError)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.ok = 0
        self.failed = 0
        self.stale_retries = 0
        self.colors = {}
        self.errors = []
        self.latencies = []
        self.first_failure = None
        self.color_times = {}

    def record(self, ok, color=None, error=None, latency=None):
        now = time.time()
        with self.lock:
            self.requests += 1
            if ok:
                self.ok += 1
            else:
                self.failed += 1
                if self.first_failure is None:
                    self.first_failure = now
                if len(self.errors) < 10:
                    self.errors.append(error)
            if color:
                self.colors[color] = self.colors.get(color, 0) + 1
                first, _ = self.color_times.get(color, (now, now))
                self.color_times[color] = (first, now)
            if latency is not None:
                self.latencies.append(latency)


def worker(args, stats, stop):
    url = urlsplit(args.url)
    path = url.path or "/"
    conn = None
    used = 0
    while not stop.is_set():
        headers = dict(args.headers)
        if args.mode == "close":
            headers["Connection"] = "close"
        attempt = 0
        t0 = time.monotonic()
        while True:
            attempt += 1
            if conn is None:
                if url.scheme == "https":
                    conn = http.client.HTTPSConnection(url.hostname, url.port, timeout=args.timeout,
                                                       context=args.tls_context)
                else:
                    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=args.timeout)
                used = 0
            reused = used > 0
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                used += 1
                color = resp.getheader("X-App-Color")
                good = 200 <= resp.status < 300 and (not args.expect_up or b'"UP"' in body)
                stats.record(good, color, None if good else f"HTTP {resp.status} {body[:80]!r}",
                             time.monotonic() - t0)
                if args.mode == "close" or resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
                break
            except STALE as exc:
                conn.close()
                conn = None
                if args.mode == "keepalive" and reused and attempt == 1:
                    with stats.lock:
                        stats.stale_retries += 1
                    continue
                stats.record(False, None, f"{type(exc).__name__}: {exc}")
                break
            except Exception as exc:  # timeouts, refused connections...
                if conn is not None:
                    conn.close()
                conn = None
                stats.record(False, None, f"{type(exc).__name__}: {exc}")
                break
        if args.pause:
            time.sleep(args.pause)
    if conn is not None:
        conn.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--duration", type=float, default=600)
    p.add_argument("--stop-file")
    p.add_argument("--mode", choices=["keepalive", "close"], default="keepalive")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--pause", type=float, default=0)
    p.add_argument("--expect-up", action="store_true")
    p.add_argument("--out")
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--cafile", help="CA certificates for an https:// URL")
    args = p.parse_args()
    args.headers = [tuple(part.strip() for part in h.split(":", 1)) for h in args.header]
    args.tls_context = ssl.create_default_context(cafile=args.cafile)
    stats = Stats()
    stop = threading.Event()
    threads = [threading.Thread(target=worker, args=(args, stats, stop)) for _ in range(args.concurrency)]
    start = time.monotonic()
    for t in threads:
        t.start()
    while time.monotonic() - start < args.duration:
        if args.stop_file and os.path.exists(args.stop_file):
            break
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join()
    lat = sorted(stats.latencies)

    def pct(q):
        return round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 1) if lat else None

    summary = {
        "mode": args.mode, "requests": stats.requests, "ok": stats.ok, "failed": stats.failed,
        "stale_retries": stats.stale_retries, "colors": stats.colors, "errors": stats.errors,
        "seconds": round(time.monotonic() - start, 1), "p50_ms": pct(0.5), "p99_ms": pct(0.99),
        "first_failure_t": stats.first_failure,
        "color_times": {c: {"first": f, "last": l} for c, (f, l) in stats.color_times.items()},
    }
    line = json.dumps(summary)
    if args.out:
        with open(args.out, "w") as f:
            f.write(line + "\n")
    print(line, flush=True)


if __name__ == "__main__":
    main()
