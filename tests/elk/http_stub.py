#!/usr/bin/env python3
"""HTTP stand-in for Kibana's API and chat webhooks in the ELK bats tests.

  http_stub.py record <out-file> [status]   answer every request with <status> (default 200) and a JSON
                                            body; append {"method","path","headers","body"} per request
                                            to out-file as one JSON line

Prints the chosen 127.0.0.1 port on the first stdout line, then runs until killed.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_handler(out_path, status):
    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            record = {"method": self.command, "path": self.path,
                      "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            with open(out_path, "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
            reply = json.dumps({"_index": "observability-annotations", "_id": "stub", "result": "created"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = do_PUT = _handle

        def log_message(self, *args):
            pass

    return Handler


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[1] != "record":
        sys.stderr.write("usage: http_stub.py record <out-file> [status]\n")
        sys.exit(2)
    status = int(sys.argv[3]) if len(sys.argv) == 4 else 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(sys.argv[2], status))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
