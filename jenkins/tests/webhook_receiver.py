"""A chat webhook stand-in for the notification tests: answers every POST with the given status and
appends its path and body (one JSON line) to --out. Listens on 127.0.0.1 only; ends after --max-s."""
import argparse
import http.server
import json
import threading


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--max-s", type=float, default=60)
    args = parser.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with open(args.out, "a", encoding="utf-8") as out:
                out.write(json.dumps({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                      "body": json.loads(body)}) + "\n")
            self.send_response(args.status)
            self.end_headers()

        def log_message(self, *_):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    threading.Timer(args.max_s, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
