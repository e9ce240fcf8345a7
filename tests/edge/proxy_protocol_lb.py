"""A TCP balancer stand-in that speaks the PROXY protocol (v1), as an AWS NLB or HAProxy with
`send-proxy` does: for each client connection it opens one to the backend, sends
"PROXY TCP4 <client> <balancer> <client-port> <listen-port>\\r\\n" first, then relays bytes both ways
(TLS passes through untouched). Usage: proxy_protocol_lb.py <listen-addr> <listen-port> <backend-addr> <backend-port>
"""
import socket
import sys
import threading


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client, peer, listen, backend):
    upstream = socket.create_connection(backend, timeout=10)
    upstream.settimeout(None)
    upstream.sendall(f"PROXY TCP4 {peer[0]} {listen[0]} {peer[1]} {listen[1]}\r\n".encode())
    threads = [threading.Thread(target=pipe, args=(client, upstream), daemon=True),
               threading.Thread(target=pipe, args=(upstream, client), daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    upstream.close()


def main():
    listen = (sys.argv[1], int(sys.argv[2]))
    backend = (sys.argv[3], int(sys.argv[4]))
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(listen)
    server.listen(64)
    while True:
        client, peer = server.accept()
        threading.Thread(target=serve, args=(client, peer, listen, backend), daemon=True).start()


if __name__ == "__main__":
    main()
