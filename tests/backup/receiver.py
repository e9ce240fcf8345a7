#!/usr/bin/env python3
"""A one-message receiver on 127.0.0.1 for the backup suite: a Slack-style webhook (http) or the
Logstash JSON-lines input (tcp). Writes the free port it bound to <port-file>, the first message body
(http) or line (tcp) to <out-file>, then exits; gives up after 60 s.

usage: receiver.py http|tcp <port-file> <out-file>
"""
import http.server
import socket
import sys

TIMEOUT_S = 60


def serve_http(port_file, out_file):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with open(out_file, "wb") as f:
                f.write(body)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = TIMEOUT_S
    with open(port_file, "w") as f:
        f.write(str(server.server_address[1]))
    server.handle_request()


def serve_tcp(port_file, out_file):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    sock.settimeout(TIMEOUT_S)
    with open(port_file, "w") as f:
        f.write(str(sock.getsockname()[1]))
    conn, _ = sock.accept()
    conn.settimeout(TIMEOUT_S)
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    with open(out_file, "wb") as f:
        f.write(data.split(b"\n")[0] + b"\n")


def main():
    kind, port_file, out_file = sys.argv[1:4]
    try:
        (serve_http if kind == "http" else serve_tcp)(port_file, out_file)
    except socket.timeout:
        sys.exit("receiver: no message within %d s" % TIMEOUT_S)


if __name__ == "__main__":
    main()
