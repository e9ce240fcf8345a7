#!/usr/bin/env bats
# The e2e suites' chat client (tests/deploy/chat_clients.py) over TLS: frames that arrive in one TLS record
# with the frame before them wait decrypted in the ssl module's buffer, where select() on the socket does not
# see them. The edge suite's clients hung on such a RECEIPT until nginx's proxy_read_timeout cut the socket.
# A real TLS WebSocket server on loopback (Python's ssl) writes the frames; the client is websocket-client.

bats_require_minimum_version 1.5.0

setup() {
  /usr/bin/python3 -c 'import websocket' || {
    echo "needs Debian's python3-websocket (scripts/test.sh installs it)" >&2
    return 1
  }
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "${BATS_TEST_TMPDIR}/key.pem" -out "${BATS_TEST_TMPDIR}/cert.pem" 2>/dev/null
}

# ws_tls_case <frames the server writes in one go, comma-separated>: serves one wss:// client, writes the
# frames with one sendall, keeps the socket open; the client reads one frame, then reports what
# chat_clients.wait_readable and a bare select() say about the next one.
ws_tls_case() {
  FRAMES="$1" CERT="${BATS_TEST_TMPDIR}/cert.pem" KEY="${BATS_TEST_TMPDIR}/key.pem" \
    CLIENTS_DIR="${BATS_TEST_DIRNAME}/../deploy" /usr/bin/python3 - <<'EOF'
import base64, hashlib, os, select, socket, ssl, sys, threading, time
sys.path.insert(0, os.environ["CLIENTS_DIR"])
import websocket
from chat_clients import wait_readable

ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(os.environ["CERT"], os.environ["KEY"])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
port = listener.getsockname()[1]
done = threading.Event()

def text_frame(text):
    data = text.encode()
    return bytes([0x81, len(data)]) + data

def serve():
    conn, _ = listener.accept()
    tls = ctx.wrap_socket(conn, server_side=True)
    request = b""
    while b"\r\n\r\n" not in request:
        request += tls.recv(4096)
    key = [l.split(b":", 1)[1].strip() for l in request.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key")][0]
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    tls.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    time.sleep(0.3)
    tls.sendall(b"".join(text_frame(f) for f in os.environ["FRAMES"].split(",") if f))
    done.wait(10)
    tls.close()

threading.Thread(target=serve, daemon=True).start()
ws = websocket.create_connection(f"wss://127.0.0.1:{port}/ws", timeout=5, sslopt={"ca_certs": os.environ["CERT"]})
first = ws.recv_data()[1].decode()
bare = bool(select.select([ws.sock], [], [], 1.0)[0])
started = time.monotonic()
readable = wait_readable(ws, 1.0)
waited = time.monotonic() - started
second = ws.recv_data()[1].decode() if readable else None
print(f"first={first} select={bare} wait_readable={readable} waited={waited:.1f} second={second}")
done.set()
EOF
}

@test "a frame decrypted together with the one before it is readable, though select() does not see it" {
  run -0 ws_tls_case "MESSAGE-1,RECEIPT-sub-2"
  [[ "$output" == *"first=MESSAGE-1 select=False wait_readable=True"* ]]
  [[ "$output" == *"second=RECEIPT-sub-2"* ]]
}

@test "with nothing more sent, wait_readable waits its timeout and says so" {
  run -0 ws_tls_case "MESSAGE-1"
  [[ "$output" == *"first=MESSAGE-1 select=False wait_readable=False waited=1.0 second=None"* ]]
}
