#!/usr/bin/env python3
"""Does a MongoDB driver's connection handshake over OP_MSG against host:port.

Like the drivers: first the legacy `isMaster` with `helloOk: true`, then `hello` (what current
drivers' monitors and Spring Boot's Mongo health indicator send). Exits 0 only when both replies
have ok == 1 and say the server is a writable primary. Usage: mongo_hello.py <host> <port>. Prints each reply.
Standard library only: a tiny BSON encoder/decoder for the handful of types involved.
"""
import socket
import struct
import sys

OP_MSG = 2013


def bson_encode(doc):
    out = b""
    for key, value in doc.items():
        name = key.encode() + b"\x00"
        if isinstance(value, bool):
            out += b"\x08" + name + (b"\x01" if value else b"\x00")
        elif isinstance(value, int):
            out += b"\x10" + name + struct.pack("<i", value)
        elif isinstance(value, str):
            data = value.encode() + b"\x00"
            out += b"\x02" + name + struct.pack("<i", len(data)) + data
        else:
            raise TypeError(type(value))
    return struct.pack("<i", len(out) + 5) + out + b"\x00"


def bson_decode(data):
    """Decodes the top-level scalar fields; nested documents and arrays are skipped."""
    doc = {}
    pos = 4
    end = struct.unpack_from("<i", data, 0)[0] - 1
    while pos < end:
        kind = data[pos]
        pos += 1
        nul = data.index(b"\x00", pos)
        key = data[pos:nul].decode()
        pos = nul + 1
        if kind == 0x01:
            doc[key] = struct.unpack_from("<d", data, pos)[0]
            pos += 8
        elif kind in (0x02, 0x0D, 0x0E):
            size = struct.unpack_from("<i", data, pos)[0]
            doc[key] = data[pos + 4:pos + 4 + size - 1].decode()
            pos += 4 + size
        elif kind in (0x03, 0x04):
            size = struct.unpack_from("<i", data, pos)[0]
            doc[key] = "<document>"
            pos += size
        elif kind == 0x08:
            doc[key] = data[pos] == 1
            pos += 1
        elif kind == 0x09 or kind == 0x12 or kind == 0x11:
            doc[key] = struct.unpack_from("<q", data, pos)[0]
            pos += 8
        elif kind == 0x10:
            doc[key] = struct.unpack_from("<i", data, pos)[0]
            pos += 4
        elif kind == 0x07:
            doc[key] = data[pos:pos + 12].hex()
            pos += 12
        elif kind == 0x0A:
            doc[key] = None
        else:
            raise ValueError("unsupported BSON type 0x%02x for %s" % (kind, key))
    return doc


def recv_exact(sock, size):
    buf = b""
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(buf), size))
        buf += chunk
    return buf


def command(sock, request_id, doc):
    body = struct.pack("<I", 0) + b"\x00" + bson_encode(doc)
    header = struct.pack("<iiii", 16 + len(body), request_id, 0, OP_MSG)
    sock.sendall(header + body)
    length, _, response_to, opcode = struct.unpack("<iiii", recv_exact(sock, 16))
    payload = recv_exact(sock, length - 16)
    if opcode != OP_MSG or response_to != request_id:
        raise ValueError("unexpected reply opcode=%d responseTo=%d" % (opcode, response_to))
    if payload[4] != 0:
        raise ValueError("unexpected section kind %d" % payload[4])
    return bson_decode(payload[5:])


def handshake(host, port):
    with socket.create_connection((host, port), timeout=5) as sock:
        reply = command(sock, 1, {"isMaster": 1, "helloOk": True, "$db": "admin"})
        print("isMaster:", reply)
        if reply.get("ok") != 1 or reply.get("ismaster") is not True:
            return False
        reply = command(sock, 2, {"hello": 1, "$db": "admin"})
        print("hello:", reply)
        if reply.get("ok") != 1 or reply.get("isWritablePrimary") is not True:
            return False
    return True


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return 0 if handshake(sys.argv[1], int(sys.argv[2])) else 1


if __name__ == "__main__":
    sys.exit(main())
