"""App stand-in for the edge suite's balancer topology: answers every request with a small JSON body and
records, one JSON line per request, what the app would see of the client: the path and the
X-Forwarded-For / X-Forwarded-Proto / X-Real-IP headers nginx sent (the contract the real app reads).
Usage: echo_upstream.py <listen-address> <port> <record-file>
"""
import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        seen = {"path": self.path, "xff": self.headers.get("X-Forwarded-For"),
                "xfp": self.headers.get("X-Forwarded-Proto"), "xri": self.headers.get("X-Real-IP")}
        with open(sys.argv[3], "a") as out:
            out.write(json.dumps(seen) + "\n")
        body = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-App-Color", "blue")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
