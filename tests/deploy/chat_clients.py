"""Chat clients through nginx for the deploy e2e suite: STOMP over WebSocket, as docs/chat.md tells a
front end to behave, counting every message so that a lost one fails the test.

Each client (one thread, one user) keeps one socket to nginx's /ws:
  CONNECT (Authorization: Bearer), SUBSCRIBE /user/queue/errors, SUBSCRIBE /topic/rooms/<id> with
  last-id and a receipt (live once the receipt arrives), then SENDs "<client>-<seq>" with a receipt every
  --interval seconds.
On an ERROR frame with `reconnect: true`, on a close frame (1012 on a deploy) or any broken socket it
reconnects at once (with a little jitter) and re-subscribes with last-id; every SEND not acknowledged by
a RECEIPT is sent again (a receipt carries the stored message's id: no receipt = maybe not stored), with the
same message-key (its text), so that a SEND stored before its receipt was lost is not stored twice.
Per docs/chat.md it resumes from a little before its highest id and drops ids it already has.

When --stop-file appears: stop sending, wait for the outstanding receipts, let deliveries settle, then
read the whole room over REST and compare. Writes one JSON summary (to --out and stdout):
  lost_acked       acknowledged texts that are not in the room              (must be 0)
  unsent           texts never acknowledged after all resends               (must be 0)
  missing          per client: room messages it never received              (must be 0 each)
  reconnects       per client: sockets opened after the first
  hints            per client: session ends seen from the server (ERROR reconnect:true, close <code>)
  colors           per client: X-App-Color of each WebSocket handshake, in order
  resent, resent_stored_twice, longest_gap_ms (socket lost -> live again), messages, ...
With --cafile, everything goes over TLS (wss://, https://), verified against that CA file.
Needs Debian's python3-websocket (websocket-client).
"""
import argparse
import json
import os
import random
import select
import ssl
import threading
import time
import urllib.request

import websocket

RESUME_MARGIN = 50  # resume this many ids early: same-millisecond sends via two instances (docs/chat.md)


class ServerClosed(Exception):
    """The server closed the socket (a close frame): a reason to reconnect, not a client error."""


def wait_readable(ws, timeout):
    """True when a frame can be read from ws now or within timeout seconds.

    websocket-client never reads past the frame it decodes, but over TLS the ssl module decrypts whole
    records: frames nginx wrote together (a replay and its RECEIPT) wait in the SSL buffer, where select
    on the socket does not see them. Without this check a client waits for the next byte on the wire,
    which in a quiet room only nginx's proxy_read_timeout brings (by closing the socket).
    """
    pending = getattr(ws.sock, "pending", None)
    if pending is not None and pending() > 0:
        return True
    return bool(select.select([ws.sock], [], [], timeout)[0])


def stomp_frame(command, headers, body=""):
    lines = [command] + [f"{k}:{v}" for k, v in headers.items()]
    return "\n".join(lines) + "\n\n" + body + "\x00"


def parse_frame(text):
    """(command, headers, body) of one STOMP frame; None for a heart-beat."""
    text = text.lstrip("\r\n")
    if not text:
        return None
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    headers = {}
    for line in lines[1:]:
        key, _, value = line.rstrip("\r").partition(":")
        headers.setdefault(key, value.replace("\\c", ":").replace("\\n", "\n").replace("\\\\", "\\"))
    return lines[0].strip(), headers, body.rstrip("\x00")


class Client:
    def __init__(self, index, token, args):
        self.index = index
        self.token = token
        self.args = args
        self.received = {}          # message id -> text
        self.duplicates_dropped = 0
        self.sent_seq = 0
        self.unacked = {}           # text -> first-send time, until a RECEIPT names its id
        self.acked = {}             # text -> [message ids] (more than one: stored twice after a resend)
        self.resent = 0
        self.sockets = 0
        self.hints = []
        self.colors = []
        self.errors = []
        self.gaps_ms = []
        self.live = False
        self.sending = True
        self.done = False

    # --- one socket's life ---------------------------------------------------------------------------
    def run(self, stop):
        lost_at = None
        while not self.done:
            try:
                self.session(stop, lost_at)
            except ServerClosed:
                pass
            except (websocket.WebSocketException, OSError, ValueError) as exc:
                self.note_error(f"{type(exc).__name__}: {exc}")
            self.live = False
            if self.done:
                break
            lost_at = time.monotonic()
            time.sleep(random.uniform(0.05, 0.25))

    def session(self, stop, lost_at):
        url = self.args.ws_url
        ws = websocket.create_connection(url, timeout=10, sslopt=self.args.sslopt)
        self.sockets += 1
        try:
            self.colors.append((ws.getheaders() or {}).get("x-app-color", "?"))
            ws.send(stomp_frame("CONNECT", {"accept-version": "1.2", "host": "switchyard",
                                            "heart-beat": "0,0", "Authorization": f"Bearer {self.token}"}))
            frame = self.next_frame(ws)
            if frame is None or frame[0] != "CONNECTED":
                self.on_refused(frame)
                return
            ws.send(stomp_frame("SUBSCRIBE", {"id": "errors", "destination": "/user/queue/errors"}))
            last_id = max(self.received, default=0)
            ws.send(stomp_frame("SUBSCRIBE", {"id": "room", "destination": f"/topic/rooms/{self.args.room}",
                                              "last-id": str(max(0, last_id - RESUME_MARGIN)),
                                              "receipt": f"sub-{self.sockets}"}))
            next_send = time.monotonic()
            while not self.done:
                if stop.is_set():
                    self.sending = False
                if self.live and time.monotonic() >= next_send:
                    self.send_due(ws)
                    next_send = time.monotonic() + self.args.interval
                if not wait_readable(ws, self.args.interval):
                    continue
                frame = self.next_frame(ws)
                if frame is None:
                    continue
                command, headers, body = frame
                if command == "RECEIPT" and headers.get("receipt-id", "").startswith("sub-"):
                    self.live = True
                    if lost_at is not None:
                        self.gaps_ms.append(round((time.monotonic() - lost_at) * 1000))
                        lost_at = None
                    self.resend_unacked(ws)
                elif command == "RECEIPT":
                    self.on_receipt(headers)
                elif command == "MESSAGE" and headers.get("subscription") == "room":
                    self.on_message(json.loads(body))
                elif command == "MESSAGE":
                    self.note_error(f"queue/errors: {body}")
                elif command == "ERROR":
                    self.on_refused(frame)
                    return
        finally:
            ws.close()

    def next_frame(self, ws):
        """Next STOMP frame; a close frame raises after recording its status code as a hint."""
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            self.hints.append(f"close {code}")
            raise ServerClosed(code)
        if opcode != websocket.ABNF.OPCODE_TEXT:
            return None
        return parse_frame(data.decode("utf-8"))

    def on_refused(self, frame):
        headers = frame[1] if frame else {}
        if headers.get("reconnect") == "true":
            self.hints.append(f"ERROR {headers.get('code', '?')} reconnect")
        else:
            self.note_error(f"ERROR without reconnect hint: {headers}")

    # --- sending ---------------------------------------------------------------------------------------
    def send_due(self, ws):
        if not self.sending:
            return
        self.sent_seq += 1
        text = f"c{self.index}-{self.sent_seq}"
        self.unacked[text] = time.monotonic()
        self.send_text(ws, text)

    def send_text(self, ws, text):
        ws.send(stomp_frame("SEND", {"destination": f"/app/rooms/{self.args.room}",
                                     "content-type": "application/json", "receipt": text,
                                     "message-key": text},
                            json.dumps({"text": text})))

    def resend_unacked(self, ws):
        for text in list(self.unacked):
            self.resent += 1
            self.send_text(ws, text)

    def on_receipt(self, headers):
        text = headers.get("receipt-id", "")
        message_id = headers.get("message-id")
        if message_id is None:
            self.note_error(f"receipt without message-id: {headers}")
            return
        self.unacked.pop(text, None)
        ids = self.acked.setdefault(text, [])
        if int(message_id) not in ids:
            ids.append(int(message_id))

    def on_message(self, message):
        if message["id"] in self.received:
            self.duplicates_dropped += 1
        self.received[message["id"]] = message["text"]

    def note_error(self, error):
        if len(self.errors) < 10:
            self.errors.append(error)


def fetch_room(args, token):
    """Every message of the room over REST (oldest first), paging with after=."""
    messages, after = [], 0
    while True:
        req = urllib.request.Request(f"{args.http_url}/api/rooms/{args.room}/messages?after={after}&limit=100",
                                     headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10, context=args.tls_context) as resp:
            page = json.load(resp)
        messages += page["messages"]
        if not page["messages"] or not page.get("hasMore"):
            return messages
        after = page["messages"][-1]["id"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nginx", required=True, help="host:port of nginx")
    p.add_argument("--tokens", required=True, help="file with one access token per line, one client each")
    p.add_argument("--room", type=int, required=True)
    # 0.5 s: the test stores' MongoDB stand-in keeps up with ~26 messages/s; faster clients only build a queue.
    p.add_argument("--interval", type=float, default=0.5, help="seconds between a client's messages")
    p.add_argument("--stop-file", required=True)
    p.add_argument("--ready-file", help="created once every client is live")
    p.add_argument("--settle", type=float, default=3.0, help="seconds to wait for receipts and deliveries")
    p.add_argument("--out")
    p.add_argument("--cafile", help="TLS: wss:// and https:// to --nginx, verified against this CA file")
    args = p.parse_args()
    tls = "s" if args.cafile else ""
    args.ws_url = f"ws{tls}://{args.nginx}/ws"
    args.http_url = f"http{tls}://{args.nginx}"
    args.sslopt = {"ca_certs": args.cafile} if args.cafile else None
    args.tls_context = ssl.create_default_context(cafile=args.cafile) if args.cafile else None
    with open(args.tokens) as f:
        tokens = [line.strip() for line in f if line.strip()]

    stop = threading.Event()
    clients = [Client(i, t, args) for i, t in enumerate(tokens)]
    threads = [threading.Thread(target=c.run, args=(stop,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while not all(c.live for c in clients) and time.monotonic() < deadline:
        time.sleep(0.1)
    if args.ready_file and all(c.live for c in clients):
        open(args.ready_file, "w").close()
    while not os.path.exists(args.stop_file):
        time.sleep(0.1)

    stop.set()
    deadline = time.monotonic() + 30
    while any(c.unacked or not c.live for c in clients) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(args.settle)
    for c in clients:
        c.done = True
    for t in threads:
        t.join(timeout=5)

    room = fetch_room(args, tokens[0])
    room_ids = {m["id"] for m in room}
    room_texts = {}
    for m in room:
        room_texts.setdefault(m["text"], []).append(m["id"])
    acked_texts = {text for c in clients for text in c.acked}
    summary = {
        "clients": len(clients),
        "messages": len(room),
        "sent": sum(c.sent_seq for c in clients),
        "acked": len(acked_texts),
        "resent": sum(c.resent for c in clients),
        "resent_stored_twice": sum(1 for ids in room_texts.values() if len(ids) > 1),
        "lost_acked": sorted(t for t in acked_texts if t not in room_texts)[:20],
        "unsent": sorted(t for c in clients for t in c.unacked)[:20],
        "missing": [len(room_ids - set(c.received)) for c in clients],
        "unknown_received": [len(set(c.received) - room_ids) for c in clients],
        "duplicates_dropped": sum(c.duplicates_dropped for c in clients),
        "reconnects": [c.sockets - 1 for c in clients],
        "hints": [c.hints for c in clients],
        "colors": [c.colors for c in clients],
        "longest_gap_ms": max((g for c in clients for g in c.gaps_ms), default=0),
        "errors": [e for c in clients for e in c.errors][:20],
    }
    line = json.dumps(summary)
    if args.out:
        with open(args.out, "w") as f:
            f.write(line + "\n")
    print(line, flush=True)


if __name__ == "__main__":
    main()
