#!/usr/bin/env python3
"""A WebSocket (RFC 6455) echo server and client for porter's tests.

    wsecho.py --port P [--log FILE] [--pidfile FILE] [--hello]
    wsecho.py --client [HOST:]PORT --target TARGET [--host HOST]
              [--frames N] [--hello] [--timeout SECS] [--idle SECS]

Stdlib only. The server listens on 127.0.0.1, one thread per connection.
A request with "Upgrade: websocket", "Connection: upgrade", a
Sec-WebSocket-Key and Sec-WebSocket-Version: 13 gets "101 Switching
Protocols" with the right Sec-WebSocket-Accept; then every text or binary
message is echoed (fragments are joined first), a ping gets a pong, and a
close is answered with a close of the same code, after which the server
closes the connection. Frames from the client must be masked (else close
1002). Any other request gets 400 "not a websocket handshake". With
--hello the server sends a text frame "hello from wsecho" in the same write
as its 101 response (a proxy must pass bytes that came with the head).
The log (--log) gets one JSON line per handshake:
{"method", "target", "version", "headers": [[k, v], ...], "upgraded"}.

The client connects to [HOST:]PORT (default 127.0.0.1) and sends
"GET TARGET HTTP/1.1" (TARGET as given: "/chat" for a reverse proxy,
"http://127.0.0.1:W/chat" for a forward proxy) with Host HOST (default:
the authority of an absolute TARGET, else HOST:PORT), checks the 101 and
the accept key, then sends N (default 3) masked text frames of growing
size (a short one, one over 125 bytes, one over 65535), each in its own
write, expects each echoed back, sends a close (1000) and expects a close
(1000) and then the end of the connection. It prints one line per step:
    status: HTTP/1.1 101 Switching Protocols
    accept: ok
    hello: ok                 (with --hello)
    echo 1: ok 13 bytes
    close: 1000
    eof: ok
and exits 0 if every step went right, 1 if not (the bad step says why).
With --idle SECS the client sends no frame after the handshake: it waits
up to SECS for the other side to close and prints "idle-eof: SECONDS"
(how long it waited) or "idle-eof: none".
"""

import argparse
import base64
import hashlib
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

from serve import serve_forever

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()


def frame(opcode, payload, mask):
    """One final frame; mask it with a random key if mask."""
    b0 = 0x80 | opcode
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + xor(payload, key)


def xor(data, key):
    if not data:
        return b""
    k = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(
        len(data), "big")


class Reader:
    """Buffered reads on a socket; EOFError at the end of the stream."""

    def __init__(self, sock, buf=b""):
        self.sock = sock
        self.buf = buf

    def fill(self):
        b = self.sock.recv(65536)
        if not b:
            raise EOFError("connection closed")
        self.buf += b

    def exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def head(self, limit=65536):
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > limit:
                raise ValueError("head too large")
            self.fill()
        i = self.buf.index(b"\r\n\r\n") + 4
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def frame(self):
        """(fin, opcode, masked, payload unmasked)."""
        b0, b1 = self.exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.exact(8))[0]
        masked = bool(b1 & 0x80)
        key = self.exact(4) if masked else None
        payload = self.exact(n)
        if masked:
            payload = xor(payload, key)
        return bool(b0 & 0x80), b0 & 0x0F, masked, payload


def parse_head(raw):
    lines = raw.decode("latin-1").split("\r\n")
    first = lines[0]
    headers = []
    for ln in lines[1:]:
        if not ln:
            continue
        k, _, v = ln.partition(":")
        headers.append([k.strip(), v.strip()])
    return first, headers


def hget(headers, name):
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


# ---- server -----------------------------------------------------------------

class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, log, hello):
        self.logf = open(log, "a", buffering=1) if log else None
        self.lock = threading.Lock()
        self.hello = hello
        super().__init__(addr, handler)

    def handle_error(self, request, client_address):
        pass

    def log(self, rec):
        if self.logf is None:
            return
        with self.lock:
            self.logf.write(json.dumps(rec, sort_keys=True) + "\n")
            self.logf.flush()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(60)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        r = Reader(s)
        first, headers = parse_head(r.head())
        parts = first.split(" ")
        method, target, version = (parts + ["", "", ""])[:3]
        key = hget(headers, "Sec-WebSocket-Key")
        conn = (hget(headers, "Connection") or "").lower()
        ok = (method == "GET"
              and (hget(headers, "Upgrade") or "").lower() == "websocket"
              and "upgrade" in [t.strip() for t in conn.split(",")]
              and hget(headers, "Sec-WebSocket-Version") == "13"
              and key is not None)
        self.server.log({"method": method, "target": target,
                         "version": version, "headers": headers,
                         "upgraded": ok})
        if not ok:
            body = b"not a websocket handshake\n"
            s.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain"
                      b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                      % (len(body), body))
            return
        out = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
               % accept_key(key.encode())).encode()
        if self.server.hello:
            out += frame(0x1, b"hello from wsecho", False)
        s.sendall(out)
        msg, msg_op = b"", None
        while True:
            fin, op, masked, payload = r.frame()
            if not masked:
                s.sendall(frame(0x8, struct.pack("!H", 1002), False))
                return
            if op == 0x8:
                code = payload[:2] if len(payload) >= 2 else b""
                s.sendall(frame(0x8, code, False))
                return
            if op == 0x9:
                s.sendall(frame(0xA, payload, False))
                continue
            if op == 0xA:
                continue
            if op in (0x1, 0x2):
                msg, msg_op = payload, op
            elif op == 0x0 and msg_op is not None:
                msg += payload
            else:
                s.sendall(frame(0x8, struct.pack("!H", 1002), False))
                return
            if fin:
                s.sendall(frame(msg_op, msg, False))
                msg, msg_op = b"", None


def serve(a):
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        srv = Server(("127.0.0.1", a.port), Handler, a.log, a.hello)
    except OSError as e:
        sys.stderr.write("wsecho.py: 127.0.0.1:%d: %s\n" % (a.port, e))
        return 2
    return serve_forever(srv, a.pidfile)


# ---- client -----------------------------------------------------------------

def client(a):
    host, _, port = a.client.rpartition(":")
    host = host or "127.0.0.1"
    hosthdr = a.host
    if hosthdr is None:
        u = urllib.parse.urlsplit(a.target)
        hosthdr = u.netloc if u.scheme else "%s:%s" % (host, port)
    bad = [0]

    def say(step, fine, text):
        print("%s: %s" % (step, text), flush=True)
        if not fine:
            bad[0] += 1
        return fine

    try:
        s = socket.create_connection((host, int(port)), timeout=a.timeout)
    except OSError as e:
        say("connect", False, str(e))
        return 1
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16))
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
           "Sec-WebSocket-Version: 13\r\nUser-Agent: wsecho-client\r\n\r\n"
           % (a.target, hosthdr, key.decode())).encode()
    r = Reader(s)
    try:
        s.sendall(req)
        first, headers = parse_head(r.head())
        if not say("status", first.split(" ")[1:2] == ["101"], first):
            return 1
        acc = hget(headers, "Sec-WebSocket-Accept")
        if not say("accept", acc == accept_key(key),
                   "ok" if acc == accept_key(key) else "bad: %r" % acc):
            return 1
        if a.hello:
            fin, op, masked, payload = r.frame()
            good = (fin and op == 1 and not masked
                    and payload == b"hello from wsecho")
            say("hello", good, "ok" if good else "bad: op %d %r"
                % (op, payload[:60]))
        if a.idle is not None:
            t0 = time.monotonic()
            s.settimeout(a.idle)
            try:
                while True:
                    r.fill()
            except EOFError:
                print("idle-eof: %.2f" % (time.monotonic() - t0))
            except ConnectionResetError:
                print("idle-eof: %.2f" % (time.monotonic() - t0))
            except socket.timeout:
                print("idle-eof: none")
            return 1 if bad[0] else 0
        sizes = [13, 300, 70000]
        for i in range(1, a.frames + 1):
            n = sizes[(i - 1) % len(sizes)]
            text = ("frame %d " % i).encode()
            text = (text * (n // len(text) + 1))[:n]
            s.sendall(frame(0x1, text, True))
            fin, op, masked, payload = r.frame()
            good = fin and op == 1 and not masked and payload == text
            say("echo %d" % i, good, "ok %d bytes" % n if good else
                "bad: op %d, %d bytes, masked %s" % (op, len(payload), masked))
        s.sendall(frame(0x8, struct.pack("!H", 1000), True))
        fin, op, masked, payload = r.frame()
        code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 0
        say("close", op == 8 and code == 1000,
            "%d" % code if op == 8 else "bad: opcode %d" % op)
        try:
            while True:
                r.fill()
                if len(r.buf) > 1 << 20:
                    break
        except EOFError:
            say("eof", True, "ok")
        else:
            say("eof", False, "bad: data after close")
    except EOFError:
        say("error", False, "connection closed early")
    except socket.timeout:
        say("error", False, "timeout (%s s)" % a.timeout)
    except (OSError, ValueError) as e:
        say("error", False, str(e))
    finally:
        s.close()
    return 1 if bad[0] else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int)
    ap.add_argument("--log")
    ap.add_argument("--pidfile")
    ap.add_argument("--hello", action="store_true")
    ap.add_argument("--client", metavar="[HOST:]PORT")
    ap.add_argument("--target", default="/")
    ap.add_argument("--host")
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--idle", type=float)
    a = ap.parse_args()
    if a.client:
        return client(a)
    if a.port is None:
        ap.error("--port or --client is required")
    return serve(a)


if __name__ == "__main__":
    sys.exit(main())
