#!/usr/bin/env python3
"""TCP stand-ins for Logstash in the deploy-event tests (tests/elk/events.bats).

  tcp_stub.py collect <out-file> [port]   accept connections (on port, default any free one), append every
                                         byte received to out-file
  tcp_stub.py hang                 listen but never accept, with the accept queue full: connect() hangs

Prints the chosen 127.0.0.1 port on the first stdout line, then runs until killed.
"""
import socket
import sys
import threading
import time


def collect(out_path, port=0):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    print(server.getsockname()[1], flush=True)
    lock = threading.Lock()

    def serve(conn):
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                with lock, open(out_path, "ab") as out:
                    out.write(data)

    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def hang():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    # Backlog 0 and never accept(): once the queue is full, Linux drops further SYNs,
    # so a client's connect() hangs like it would against a firewalled host.
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        try:
            client.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(client)
    time.sleep(0.3)
    print(port, flush=True)
    while True:
        time.sleep(60)


def main():
    if len(sys.argv) in (3, 4) and sys.argv[1] == "collect":
        collect(sys.argv[2], int(sys.argv[3]) if len(sys.argv) == 4 else 0)
    elif len(sys.argv) == 2 and sys.argv[1] == "hang":
        hang()
    else:
        sys.stderr.write("usage: tcp_stub.py collect <out-file> [port] | hang\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
