"""A chat-webhook receiver for the tests: accepts POSTs on 127.0.0.1, records each request as one JSON line
({"path": ..., "content_type": ..., "body": <parsed JSON or the raw text>}) to --out.

  --fail N   answer the first N requests with 500, then 200
  --hang     never answer (hold each connection open until --hang-s passes)
Writes the port it listens on to --port-file. Runs until killed or --max-s passes.
"""
import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--fail", type=int, default=0)
    p.add_argument("--hang", action="store_true")
    p.add_argument("--hang-s", type=float, default=30)
    p.add_argument("--max-s", type=float, default=900)
    args = p.parse_args()
    lock = threading.Lock()
    seen = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace")
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
            with lock:
                seen["n"] += 1
                n = seen["n"]
                with open(args.out, "a") as f:
                    f.write(json.dumps({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                        "body": body, "n": n, "t": time.time()}) + "\n")
            if args.hang:
                time.sleep(args.hang_s)
                return
            status = 500 if n <= args.fail else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(args.port_file, "w") as f:
        f.write(str(server.server_address[1]) + "\n")
    threading.Timer(args.max_s, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
