#!/usr/bin/env python3
"""A real HTTP/1.1 backend for porter's end-to-end tests (stdlib only).

    backend.py --port P [--bind ADDR] [--name NAME] [--log FILE]
               [--pidfile FILE] [--delay S] [--health-file FILE]
               [--mode MODE] [--one-write] [--proxy-protocol]
    backend.py --gen N          write the N deterministic bytes that
                                /big, /chunked and /close serve, and exit

Persistent connections, one thread per connection, silent on stdout and
stderr. Every response carries X-Backend: NAME, X-Conn: ID (the id of the
connection it was read from) and X-Path: PATH.

Endpoints (any method; the request body is always read, Content-Length or
chunked, and counted in the log):
  /                  and anything unknown: 200 "NAME\n"
  /sha               "LEN SHA256HEX\n" of the request body
  /echo              the request body
  /headers           the request headers as "name: value\n" lines (names
                     lower-cased, in the order received)
  /slow?s=SECONDS    sleep, then 200 "NAME\n"
  /chunked?n=K&size=S  chunked response: K chunks of S bytes
  /big?size=N        N bytes with Content-Length
  /close?size=N      N bytes, no Content-Length, no chunking, then close
  /status?code=N     status N, body "NAME N\n" (none for 1xx, 204, 304)
  /stats             {"connections": accepted, "requests": answered so far}
  /hop               200 with hop-by-hop headers that a proxy must drop:
                     Connection: X-Secret, X-Secret: 1, Keep-Alive: timeout=99
  /drop              close the connection without answering (a reset)
  /badresp           a malformed response head, then close
  /te-and-cl         a chunked body "hello" whose head also says
                     Content-Length: 99 (a proxy goes by the chunks)
  /interim           a 103 Early Hints with hop-by-hop fields a proxy must
                     drop (Connection: X-Secret, X-Secret: 1, Keep-Alive:
                     timeout=9) beside Link: </a.css>; rel=preload, then
                     200 "NAME\n"
  /early?code=N&after=B  an early answer: read only B bytes (default 65536)
                     of a Content-Length body, log it (body_len B), answer
                     N (default 413) "NAME N\n" with Connection: close and
                     close the connection, the rest of the body unread (so
                     the peer's further writes fail)
  /quietclose        a normal keep-alive answer, then close the connection
                     (as a backend whose keep-alive timeout passed)
  /stream?s=SECONDS&every=E  chunked response, one small chunk
                     "chunk I\n" (I from 1) every E seconds (default 0.25)
                     for SECONDS (default 5): SECONDS/E chunks, the first
                     at once

  /cache, /cache/ANY/PATH  a cacheable resource for the cache tests, shaped
                     by the query string (URL-encoded values; anything else
                     in the query is ignored, so ?v=2 makes another URL):
       status=N      status (default 200); 204 and 304 have no body
       h=Name:Value  a response field, repeatable, in order (e.g.
                     h=Cache-Control:max-age%3D60); a Date given here
                     replaces the automatic one (the next whole second)
       h200=Name:Value  a field sent only when the answer is not a 304
       h304=Name:Value  a field sent only on a 304 (a revalidation)
       size=N        a body of N deterministic bytes: bytes [SEED, SEED+N)
                     of the --gen stream (seed=SEED, default 0); without
                     size, "NAME fetch=K METHOD PATH\n" (plus one
                     "vary NAME: VALUE\n" line per vary field), K counting
                     this backend's /cache requests, this one included
       seed=SEED     where in the deterministic stream the body starts
       etag=X        ETag: X (quoted unless it starts with " or W/); a
                     request whose If-None-Match lists it (weak compare, or
                     *) gets 304 with no body
       lm=DATE       Last-Modified: DATE (an HTTP-date); without
                     If-None-Match, a request with If-Modified-Since >= DATE
                     gets 304 with no body
       chunked=1     chunked framing (else Content-Length)
       trickle=S     the head at once, then the body in pieces (pieces=K,
                     default 10), one every S/K seconds, the first after
                     S/K, each flushed (one chunk each with chunked=1)
       vary=Name     Vary: Name (repeatable, or a comma list; * for
                     Vary: *) and the request's value of each named field
                     in the default body
       delay=S       (as anywhere) S seconds before the head
                     Every /cache response carries X-Fetch: K (as above)
                     and Content-Type text/plain or application/octet-stream
                     (with size).

  /gz                compressible text for the gzip tests: size=N bytes
                     (default 4096) of numbered HTML lines from seed=K,
                     type=T (Content-Type, default text/html;
                     charset=utf-8; empty: none), frame=length|chunked|
                     close, h=Name:Value (repeatable), etag=X (a matching
                     If-None-Match gets 304), enc=gzip (the body gzipped,
                     Content-Encoding: gzip); one Range bytes=a-b, a- or
                     -n gets a 206 (frame=length); bytes=1: the body is
                     the --gen stream instead (incompressible)

  /health            the health check answer: 200 "ok\n" by default; else
                     what /control/health or --health-file says
  /control/health?status=N&body=TEXT&delay=S
                     from now on /health answers N with body TEXT (default
                     "ok" for 2xx/3xx, "down" otherwise), S seconds late
                     (default 0); 204 itself
  /control/mode?m=MODE
                     from now on every other request is served per MODE
                     (see --mode); 204 itself
  any path, ?delay=S sleep S seconds before answering (after the log line)

Modes (--mode, /control/mode), for every path but /health, /control/*
and /stats:
  normal             as above (the default)
  drop               read the request and its body, log it, then reset the
                     connection without answering (as /drop)
  close              close the connection as soon as the request head is
                     read, without reading the body or logging (a backend
                     going away before it answers anything)
  status:N           answer status N, body "NAME N\n"

--one-write: the small answers (all but /chunked, /big, /close, /stream)
leave in one write, head and body together, so that a backend killed
(SIGKILL) never leaves a response cut after its head; by default the head
and the body are separate writes.

--bind ADDR: the address to listen on, 127.0.0.1 by default; another
IPv4 address (127.0.0.2, ...) or an IPv6 one (::1, no brackets).

--health-file FILE: when FILE exists, /health answers from it instead:
"N [BODY]" on its first line (BODY default as for /control/health); an
empty file means 200 "ok". A file outlives a backend restart.

--proxy-protocol: every connection must begin with a PROXY protocol
header (HAProxy's proxy-protocol.txt), version 1 or 2, before its first
request; a health checker's LOCAL (v2) or UNKNOWN (v1) header counts. It
is read strictly: v1 "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" (single
spaces, addresses of the named family, ports 0..65535 without leading
zeros, 107 bytes at most) or "PROXY UNKNOWN ...\r\n"; v2 the 12-byte
signature \r\n\r\n\0\r\nQUIT\n, version 2 with command LOCAL or
PROXY, a known family (UNSPEC, TCP/UDP over IPv4 or IPv6, UNIX), a length
that holds the family's address block and whole TLVs. A connection
without a valid header (other bytes, a header cut short, nothing within
5 s) is closed without an answer and counted in /stats as "proxy_errors"
("proxy_last_error" says why); one closed before sending a byte (a port
probe) is not. Each request's log line then has "proxy": {"version": 1|2,
"command": "PROXY"|"LOCAL"|"UNKNOWN", "src": "ADDR:PORT" or null, "dst":
...} (an IPv6 address in brackets, "[::1]:PORT"; null for LOCAL, UNKNOWN
and v2 UNSPEC; a UNIX path as is), the header of the connection the
request came on. /stats, /control/* and /health need the header too
(curl --haproxy-protocol sends a v1 one). Without the option nothing of
this exists: no "proxy" in the log, no "proxy_errors" in /stats.

/control/* requests are neither logged nor counted; /health requests are
(tests tell them apart by path). /stats also reports "in_flight" and
"max_in_flight": requests other than /health, /control and /stats being
answered at once, now and at most so far. A request counts from its arrival
until its delay has passed and its answer is about to be written: a proxy
that reads the whole answer and then sends the next request must not be
seen overlapping them while this thread is still finishing its write.

The log (--log) gets one JSON object per request, written before the answer:
{"conn": ID, "method": ..., "path": ..., "version": ..., "headers":
[[name, value], ...], "body_len": N, "body_sha256": HEX, "time": T}, T the
wall clock in seconds when the request was read (and "proxy": {...} with
--proxy-protocol, see above).
"""

import argparse
import email.utils
import hashlib
import gzip
import http.server
import ipaddress
import json
import os
import re
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

from serve import serve_forever

BLOCK = 4096


def gen_block(k):
    """Block k of the deterministic stream (BLOCK bytes)."""
    return hashlib.shake_256(b"porter-e2e-%d" % k).digest(BLOCK)


def gen_pieces(start, n):
    """Yield bytes [start, start+n) of the deterministic stream in pieces."""
    off = start
    end = start + n
    while off < end:
        k, r = divmod(off, BLOCK)
        piece = gen_block(k)[r:r + (end - off)]
        off += len(piece)
        yield piece


def gen_bytes(start, n):
    return b"".join(gen_pieces(start, n))


def gz_text(n, seed=0):
    """n bytes of text that compresses as a page does (lines that vary)."""
    out, i = [], seed
    have = 0
    while have < n:
        line = b"<p>line %07d: the quick brown fox jumps over the lazy dog " \
               b"%d times</p>\n" % (i, (i * 7919) % 1000)
        out.append(line)
        have += len(line)
        i += 1
    return b"".join(out)[:n]


def health_body(code, body):
    if body is None:
        body = "ok" if 200 <= code < 400 else "down"
    return body.encode() + b"\n"


# -- the PROXY protocol (--proxy-protocol) -----------------------------------

PP2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
PP_V1_MAX = 107         # the whole v1 line, CRLF included
PP_TIMEOUT = 5.0        # for the whole header
# v2 families: (address family, transport) byte -> address block length
PP2_FAMILIES = {0x00: 0, 0x11: 12, 0x12: 12, 0x21: 36, 0x22: 36,
                0x31: 216, 0x32: 216}


class ProxyError(Exception):
    """Not a valid PROXY header (the message says why)."""


class ProxyEmpty(Exception):
    """The peer closed before sending a byte (a port probe)."""


def pp_exact(f, n, what):
    b = f.read(n)
    if len(b) != n:
        raise ProxyError("%s cut short (%d of %d bytes)" % (what, len(b), n))
    return b


def pp_v1_port(t):
    if not (t == "0" or (t[:1] in "123456789" and t.isdigit()
                         and t.isascii() and len(t) <= 5)) or int(t) > 65535:
        raise ProxyError("bad v1 port %r" % t)
    return int(t)


def pp_v1_addr(t, proto):
    try:
        if proto == "TCP4":
            return str(ipaddress.IPv4Address(t))
        if "%" in t:    # a scope id is no address on the wire
            raise ValueError(t)
        return "[%s]" % ipaddress.IPv6Address(t)
    except ValueError:
        raise ProxyError("bad v1 %s address %r" % (proto, t)) from None


def pp_v1(f):
    """After the 'P': the rest of a v1 line, up to and with its CRLF."""
    rest = f.readline(PP_V1_MAX - 1)
    line = b"P" + rest
    if not rest.endswith(b"\n"):
        if len(line) >= PP_V1_MAX:
            raise ProxyError("v1 line over %d bytes" % PP_V1_MAX)
        raise ProxyError("v1 line cut short: %r" % line)
    if not line.endswith(b"\r\n") or b"\r" in line[:-2]:
        raise ProxyError("v1 line not ended by one CRLF: %r" % line)
    # latin-1: any byte may follow UNKNOWN; addresses and ports are
    # checked as ASCII below
    words = line[:-2].decode("latin-1").split(" ")
    if words[0] != "PROXY" or len(words) < 2:
        raise ProxyError("not a PROXY header: %r" % line)
    if words[1] == "UNKNOWN":
        # anything may follow UNKNOWN up to the CRLF; it names nobody
        return {"version": 1, "command": "UNKNOWN", "src": None, "dst": None}
    if words[1] not in ("TCP4", "TCP6"):
        raise ProxyError("bad v1 protocol %r" % words[1])
    if len(words) != 6:
        raise ProxyError("v1 %s line with %d fields, not 6 (single spaces):"
                         " %r" % (words[1], len(words), line))
    src = pp_v1_addr(words[2], words[1])
    dst = pp_v1_addr(words[3], words[1])
    sport, dport = pp_v1_port(words[4]), pp_v1_port(words[5])
    return {"version": 1, "command": "PROXY",
            "src": "%s:%d" % (src, sport), "dst": "%s:%d" % (dst, dport)}


def pp_v2(f):
    """After the first byte (a CR): the rest of a v2 header."""
    head = b"\r" + pp_exact(f, 15, "v2 header")
    if head[:12] != PP2_SIG:
        raise ProxyError("bad v2 signature %r" % head[:12])
    ver, cmd = head[12] >> 4, head[12] & 0x0f
    if ver != 2:
        raise ProxyError("bad v2 version %d" % ver)
    if cmd not in (0, 1):
        raise ProxyError("bad v2 command %d" % cmd)
    fam = head[13]
    if fam not in PP2_FAMILIES:
        raise ProxyError("bad v2 family 0x%02x" % fam)
    length = struct.unpack("!H", head[14:16])[0]
    need = PP2_FAMILIES[fam]
    if length < need:
        raise ProxyError("v2 length %d below the family's %d" % (length, need))
    rest = pp_exact(f, length, "v2 address block and TLVs")
    off = need
    while off < length:
        if length - off < 3:
            raise ProxyError("v2 partial TLV at the end")
        tlen = struct.unpack("!H", rest[off + 1:off + 3])[0]
        if tlen > length - off - 3:
            raise ProxyError("v2 TLV 0x%02x overruns the header" % rest[off])
        off += 3 + tlen
    r = {"version": 2, "command": "PROXY" if cmd == 1 else "LOCAL",
         "src": None, "dst": None}
    if cmd == 0 or fam == 0x00:
        return r        # LOCAL, or UNSPEC: the real peer is the client
    if fam >> 4 == 1:
        a = rest[:12]
        r["src"] = "%s:%d" % (ipaddress.IPv4Address(a[0:4]),
                              struct.unpack("!H", a[8:10])[0])
        r["dst"] = "%s:%d" % (ipaddress.IPv4Address(a[4:8]),
                              struct.unpack("!H", a[10:12])[0])
    elif fam >> 4 == 2:
        a = rest[:36]
        r["src"] = "[%s]:%d" % (ipaddress.IPv6Address(a[0:16]),
                                struct.unpack("!H", a[32:34])[0])
        r["dst"] = "[%s]:%d" % (ipaddress.IPv6Address(a[16:32]),
                                struct.unpack("!H", a[34:36])[0])
    else:
        r["src"] = rest[0:108].split(b"\0", 1)[0].decode("latin-1")
        r["dst"] = rest[108:216].split(b"\0", 1)[0].decode("latin-1")
    return r


def pp_read(f):
    """The PROXY header at the start of f (a buffered socket file), read
    to its last byte and no further; its record, or ProxyError/ProxyEmpty.
    """
    first = f.read(1)
    if not first:
        raise ProxyEmpty()
    if first == b"P":
        return pp_v1(f)
    if first == b"\r":
        return pp_v2(f)
    raise ProxyError("not a PROXY header: first byte %r" % first)


def parse_mode(text):
    """'normal', 'drop', 'close' or 'status:N' -> (mode, N or None)."""
    if text.startswith("status:"):
        return ("status", int(text[7:]))
    if text in ("normal", "drop", "close"):
        return (text, None)
    raise ValueError("unknown mode %r" % text)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, name, log, delay=0.0,
                 health_file=None, mode="normal", one_write=False,
                 proxy_protocol=False):
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        self.name = name
        self.one_write = one_write
        self.proxy_protocol = proxy_protocol
        self.proxy_errors = 0
        self.proxy_last_error = None
        self.delay = delay
        self.health_file = health_file
        self.health = (200, b"ok\n", 0.0)  # set by /control/health
        self.mode = parse_mode(mode)    # set by /control/mode
        self.in_flight = 0
        self.max_in_flight = 0
        self.logf = open(log, "a", buffering=1) if log else None
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.cache_fetches = 0  # /cache requests
        super().__init__(addr, handler)

    def server_bind(self):
        # allow_reuse_address only; no SO_REUSEPORT, so a busy port fails.
        socketserver.TCPServer.server_bind(self)

    def handle_error(self, request, client_address):
        pass    # quiet: clients and proxies reset connections on purpose

    def log_request(self, rec):
        if self.logf is None:
            return
        line = json.dumps(rec, sort_keys=True)
        with self.lock:
            self.logf.write(line + "\n")
            self.logf.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "porter-e2e-backend"

    def version_string(self):
        return self.server_version

    def setup(self):
        srv = self.server
        with srv.lock:
            srv.connections += 1
            self.conn_id = srv.connections
        super().setup()
        # headers and body leave in separate writes: without this, Nagle
        # and delayed ACKs add ~40 ms to every kept-alive response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self):
        self.proxy = None
        if self.server.proxy_protocol and not self.read_proxy():
            self.close_connection = True
            return
        super().handle()

    def read_proxy(self):
        """--proxy-protocol: the connection's header into self.proxy;
        False (counted unless nothing came at all) when there is none."""
        srv = self.server
        try:
            self.connection.settimeout(PP_TIMEOUT)
            self.proxy = pp_read(self.rfile)
            self.connection.settimeout(None)
            return True
        except ProxyEmpty:
            return False
        except (ProxyError, OSError) as e:
            why = str(e) or type(e).__name__
        with srv.lock:
            srv.proxy_errors += 1
            srv.proxy_last_error = why
        return False

    def record(self, rec):
        """Log one request, with its connection's PROXY header."""
        if self.server.proxy_protocol:
            rec["proxy"] = self.proxy
        self.server.log_request(rec)

    def log_message(self, fmt, *args):
        pass

    def log_error(self, fmt, *args):
        pass

    # Any method goes to one place.
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    # -- request body ------------------------------------------------------

    def read_exact(self, n, sink):
        while n > 0:
            b = self.rfile.read(min(n, 65536))
            if not b:
                raise ConnectionError("short body")
            sink(b)
            n -= len(b)

    def read_line(self):
        line = self.rfile.readline(65537)
        if not line.endswith(b"\n"):
            raise ConnectionError("bad chunk line")
        return line

    def read_body(self):
        """Read the whole request body; return (length, sha256hex, data or None)."""
        h = hashlib.sha256()
        keep = []
        total = [0]
        want = self.path.split("?", 1)[0] == "/echo"

        def sink(b):
            h.update(b)
            total[0] += len(b)
            if want:
                keep.append(b)

        te = self.headers.get("Transfer-Encoding", "")
        cl = self.headers.get("Content-Length")
        if te:
            if te.strip().lower() != "chunked":
                raise ConnectionError("unsupported transfer-encoding")
            while True:
                line = self.read_line()
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.read_line() not in (b"\r\n", b"\n"):
                        pass    # trailers
                    break
                self.read_exact(size, sink)
                if self.read_line() not in (b"\r\n", b"\n"):
                    raise ConnectionError("bad chunk end")
        elif cl is not None:
            self.read_exact(int(cl), sink)
        return total[0], h.hexdigest(), b"".join(keep) if want else None

    # -- responses ---------------------------------------------------------

    def start(self, code, headers=(), length=None, body=None):
        """Send the head; with body, head and body in one write."""
        self.send_response(code)
        self.send_header("X-Backend", self.server.name)
        self.send_header("X-Conn", str(self.conn_id))
        self.send_header("X-Path", self.path)
        for k, v in headers:
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", str(length))
        if body is None:
            self.end_headers()
        else:
            self._headers_buffer.append(b"\r\n" + body)
            self.flush_headers()

    def reply(self, code, body, ctype="text/plain", headers=()):
        hdrs = [("Content-Type", ctype)] + list(headers)
        if self.server.one_write and self.command != "HEAD":
            self.start(code, hdrs, len(body), body)
            return
        self.start(code, hdrs, len(body))
        if self.command != "HEAD":
            self.wfile.write(body)

    def reset(self):
        """Close the connection with a RST, answering nothing."""
        self.close_connection = True
        try:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass

    def control(self, path, q):
        srv = self.server
        try:
            if path == "/control/health":
                code = int(q.get("status", "200"))
                h = (code, health_body(code, q.get("body")),
                     float(q.get("delay", "0")))
                with srv.lock:
                    srv.health = h
            elif path == "/control/mode":
                m = parse_mode(q.get("m", "normal"))
                with srv.lock:
                    srv.mode = m
            else:
                raise ValueError(path)
        except ValueError:
            self.reply(400, b"bad control request\n")
            return
        self.start(204)

    def health_answer(self):
        srv = self.server
        if srv.health_file:
            try:
                with open(srv.health_file) as f:
                    words = f.readline().strip().split(None, 1)
            except OSError:
                words = None
            if words is not None:
                if not words:
                    return 200, health_body(200, None), 0.0
                code = int(words[0])
                return (code, health_body(code, words[1] if len(words) > 1
                                          else None), 0.0)
        with srv.lock:
            return srv.health

    def dispatch(self):
        srv = self.server
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        path = u.path
        if path.startswith("/control/"):
            try:
                self.read_body()
            except (ConnectionError, ValueError):
                self.close_connection = True
                return
            self.control(path, q)
            return
        special = path in ("/health", "/stats")
        with srv.lock:
            mode, mcode = srv.mode if not special else ("normal", None)
        if mode == "close":
            self.close_connection = True
            return
        if path == "/early" and mode == "normal":
            self.early(q)
            return
        try:
            blen, bsha, data = self.read_body()
        except (ConnectionError, ValueError):
            self.close_connection = True
            return
        self.record({
            "conn": self.conn_id,
            "method": self.command,
            "path": self.path,
            "version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_len": blen,
            "body_sha256": bsha,
            "time": round(time.time(), 3),
        })
        with srv.lock:
            srv.requests += 1
            if not special:
                srv.in_flight += 1
                srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
        self.counted = not special
        try:
            self.answer(path, q, blen, bsha, data, mode, mcode)
        finally:
            self.uncount()

    def uncount(self):
        """The request stops counting as in flight (once)."""
        if getattr(self, "counted", False):
            self.counted = False
            with self.server.lock:
                self.server.in_flight -= 1

    def early(self, q):
        code = int(q.get("code", "413"))
        after = min(int(q.get("after", "65536")),
                    int(self.headers.get("Content-Length", "0")))
        h = hashlib.sha256()
        try:
            self.read_exact(after, h.update)
        except ConnectionError:
            self.close_connection = True
            return
        self.record({
            "conn": self.conn_id, "method": self.command, "path": self.path,
            "version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_len": after, "body_sha256": h.hexdigest(),
            "time": round(time.time(), 3),
        })
        with self.server.lock:
            self.server.requests += 1
        self.close_connection = True
        self.reply(code, b"%s %d\n" % (self.server.name.encode(), code),
                   headers=[("Connection", "close")])

    def answer(self, path, q, blen, bsha, data, mode, mcode):
        srv = self.server
        if srv.delay > 0:
            time.sleep(srv.delay)
        if "delay" in q:
            time.sleep(float(q["delay"]))
        self.uncount()
        name = srv.name.encode()
        head = self.command == "HEAD"

        if mode == "drop":
            self.reset()
        elif mode == "status":
            if mcode < 200 or mcode in (204, 304):
                self.start(mcode)
            else:
                self.reply(mcode, b"%s %d\n" % (name, mcode))
        elif path == "/health":
            code, body, late = self.health_answer()
            if late > 0:
                time.sleep(late)
            self.reply(code, body)
        elif path == "/sha":
            self.reply(200, b"%d %s\n" % (blen, bsha.encode()))
        elif path == "/echo":
            self.reply(200, data, "application/octet-stream")
        elif path == "/headers":
            text = "".join("%s: %s\n" % (k.lower(), v)
                           for k, v in self.headers.items())
            self.reply(200, text.encode())
        elif path == "/slow":
            time.sleep(float(q.get("s", "1")))
            self.reply(200, name + b"\n")
        elif path == "/chunked":
            n, size = int(q.get("n", "4")), int(q.get("size", "1000"))
            self.start(200, [("Content-Type", "application/octet-stream"),
                             ("Transfer-Encoding", "chunked")])
            if head:
                return
            for i in range(n):
                chunk = gen_bytes(i * size, size)
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/big":
            size = int(q.get("size", "1000"))
            self.start(200, [("Content-Type", "application/octet-stream")],
                       size)
            if head:
                return
            buf = []
            have = 0
            for piece in gen_pieces(0, size):
                buf.append(piece)
                have += len(piece)
                if have >= 65536:
                    self.wfile.write(b"".join(buf))
                    buf, have = [], 0
            if buf:
                self.wfile.write(b"".join(buf))
        elif path == "/close":
            size = int(q.get("size", "1000"))
            self.close_connection = True
            self.start(200, [("Content-Type", "application/octet-stream"),
                             ("Connection", "close")])
            if head:
                return
            for piece in gen_pieces(0, size):
                self.wfile.write(piece)
        elif path == "/status":
            code = int(q.get("code", "200"))
            if code < 200 or code in (204, 304):
                self.start(code)
            else:
                self.reply(code, b"%s %d\n" % (name, code))
        elif path == "/stats":
            with srv.lock:
                st = {"connections": srv.connections,
                      "requests": srv.requests,
                      "in_flight": srv.in_flight,
                      "max_in_flight": srv.max_in_flight}
                if srv.proxy_protocol:
                    st["proxy_errors"] = srv.proxy_errors
                    st["proxy_last_error"] = srv.proxy_last_error
            self.reply(200, (json.dumps(st) + "\n").encode(),
                       "application/json")
        elif path == "/hop":
            self.reply(200, name + b"\n", headers=[
                ("Connection", "X-Secret"), ("X-Secret", "1"),
                ("Keep-Alive", "timeout=99")])
        elif path == "/drop":
            self.reset()
        elif path == "/quietclose":
            # answer as if keeping the connection, then close it: what a
            # backend does when its keep-alive timeout passes
            self.reply(200, name + b"\n")
            self.close_connection = True
        elif path == "/stream":
            secs, every = float(q.get("s", "5")), float(q.get("every", "0.25"))
            n = max(1, int(round(secs / every)))
            self.start(200, [("Content-Type", "text/plain"),
                             ("Transfer-Encoding", "chunked")])
            if head:
                return
            for i in range(1, n + 1):
                if i > 1:
                    time.sleep(every)
                chunk = b"chunk %d\n" % i
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/te-and-cl":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Backend: %s\r\n"
                             b"Transfer-Encoding: chunked\r\n"
                             b"Content-Length: 99\r\n\r\n" % name)
            if not head:
                self.wfile.write(b"5\r\nhello\r\n0\r\n\r\n")
        elif path == "/interim":
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\n"
                             b"Connection: X-Secret\r\nX-Secret: 1\r\n"
                             b"Keep-Alive: timeout=9\r\n"
                             b"Link: </a.css>; rel=preload\r\n\r\n")
            self.reply(200, name + b"\n")
        elif path == "/cache" or path.startswith("/cache/"):
            self.cache_answer(path)
        elif path == "/badresp":
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 2x0 Nope\r\nContent Length: 3\r\n\r\nabc")
        elif path == "/gz":
            self.gz_answer()
        else:
            self.reply(200, name + b"\n")


    # -- /gz: compressible text, for the gzip tests --------------------------

    def gz_answer(self):
        qs = urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query,
                                    keep_blank_values=True)
        one, fields = {}, []
        for k, v in qs:
            if k == "h":
                name, _, value = v.partition(":")
                fields.append((name.strip(), value.strip()))
            else:
                one[k] = v
        if one.get("bytes") == "1":	# incompressible: the --gen stream
            body = gen_bytes(int(one.get("seed", "0")),
                             int(one.get("size", "4096")))
        else:
            body = gz_text(int(one.get("size", "4096")),
                           int(one.get("seed", "0")))
        ctype = one.get("type", "text/html; charset=utf-8")
        frame = one.get("frame", "length")
        etag = one.get("etag")
        hdrs = []
        if one.get("enc") == "gzip":
            body = gzip.compress(body, mtime=0)  # the same bytes each time: no date
            hdrs.append(("Content-Encoding", "gzip"))
        if ctype:
            hdrs.append(("Content-Type", ctype))
        if etag is not None:
            hdrs.append(("ETag", etag if etag.startswith(('"', "W/"))
                         else '"%s"' % etag))
            inm = self.headers.get("If-None-Match")
            if inm and any(t.strip().replace("W/", "") ==
                           hdrs[-1][1].replace("W/", "")
                           for t in inm.split(",")):
                self.start(304, hdrs + fields)
                return
        code = 200
        rng = self.headers.get("Range")
        m = re.match(r"bytes=(\d*)-(\d*)$", rng or "")
        if m and frame == "length" and (m.group(1) or m.group(2)):
            n = len(body)
            if m.group(1):
                a = int(m.group(1))
                b = min(int(m.group(2)), n - 1) if m.group(2) else n - 1
            else:
                a, b = max(0, n - int(m.group(2))), n - 1
            if a < n and a <= b:
                code = 206
                hdrs.append(("Content-Range", "bytes %d-%d/%d" % (a, b, n)))
                body = body[a:b + 1]
        hdrs += fields
        head = self.command == "HEAD"
        if frame == "chunked":
            self.start(code, hdrs + [("Transfer-Encoding", "chunked")])
            if head:
                return
            for i in range(0, len(body), 1000):
                piece = body[i:i + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif frame == "close":
            self.close_connection = True
            self.start(code, hdrs + [("Connection", "close")])
            if not head:
                self.wfile.write(body)
        else:
            self.start(code, hdrs, len(body))
            if not head:
                self.wfile.write(body)

    # -- /cache: a resource shaped by its query, for the cache tests --------

    def cache_answer(self, path):
        srv = self.server
        with srv.lock:
            srv.cache_fetches += 1
            fetch = srv.cache_fetches
        qs = urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query,
                                    keep_blank_values=True)
        one = {}
        fields, fields200, fields304, vary = [], [], [], []
        for k, v in qs:
            if k in ("h", "h200", "h304"):
                name, _, value = v.partition(":")
                {"h": fields, "h200": fields200, "h304": fields304}[k].append(
                    (name.strip(), value.strip()))
            elif k == "vary":
                vary += [n.strip() for n in v.split(",") if n.strip()]
            else:
                one[k] = v
        code = int(one.get("status", "200"))
        head = self.command == "HEAD"
        etag = one.get("etag")
        if etag is not None and not etag.startswith(('"', "W/")):
            etag = '"%s"' % etag
        lm = one.get("lm")

        # conditionals: If-None-Match decides when present (RFC 9110 13.2.2)
        not_modified = False
        inm = self.headers.get_all("If-None-Match") or []
        ims = self.headers.get("If-Modified-Since")
        if inm:
            if etag is not None:
                want = etag[2:] if etag.startswith("W/") else etag
                for t in ",".join(inm).split(","):
                    t = t.strip()
                    if t == "*" or (t[2:] if t.startswith("W/") else t) == want:
                        not_modified = True
        elif ims is not None and lm is not None:
            try:
                a = email.utils.parsedate_to_datetime(ims)
                b = email.utils.parsedate_to_datetime(lm)
                not_modified = a >= b
            except (TypeError, ValueError):
                pass
        if not_modified and self.command in ("GET", "HEAD"):
            code = 304

        size = one.get("size")
        if code in (204, 304) or code < 200:
            body = b""
            ctype = None
        elif size is not None:
            body = None
            n = int(size)
            seed = int(one.get("seed", "0"))
            ctype = "application/octet-stream"
        else:
            text = "%s fetch=%d %s %s\n" % (srv.name, fetch, self.command,
                                           self.path)
            for name in vary:
                if name != "*":
                    text += "vary %s: %s\n" % (
                        name.lower(), ", ".join(self.headers.get_all(name) or []))
            body = text.encode()
            ctype = "text/plain"

        self.send_response_only(code)
        self.send_header("Server", self.version_string())
        if not any(k.lower() == "date" for k, _ in fields):
            # The next whole second, not this one. RFC 9111's apparent age
            # is the time a response arrives less its Date, and Date has
            # whole seconds: one stamped at x.999 s that porter receives
            # at x+1 s is a second old on arrival, so a max-age=1 answer
            # was now and then not stored (detail=no-freshness) and a test
            # that expected it failed. A Date less than 1 s ahead adds no
            # age (a negative apparent age counts as 0).
            self.send_header("Date", self.date_time_string(int(time.time()) + 1))
        self.send_header("X-Backend", srv.name)
        self.send_header("X-Conn", str(self.conn_id))
        self.send_header("X-Path", self.path)
        self.send_header("X-Fetch", str(fetch))
        if etag is not None:
            self.send_header("ETag", etag)
        if lm is not None:
            self.send_header("Last-Modified", lm)
        if vary:
            self.send_header("Vary", ", ".join(vary))
        for k, v in fields + (fields304 if code == 304 else fields200):
            self.send_header(k, v)
        if ctype is not None:
            self.send_header("Content-Type", ctype)
        if code in (204, 304) or code < 200:
            self.end_headers()
            return
        chunked = one.get("chunked") == "1"
        total = len(body) if body is not None else n
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(total))
        self.end_headers()
        self.wfile.flush()
        if head:
            return
        trickle = float(one.get("trickle", "0"))
        pieces = max(1, int(one.get("pieces", "10"))) if trickle > 0 else 1
        for i in range(pieces):
            a, b = total * i // pieces, total * (i + 1) // pieces
            data = body[a:b] if body is not None else gen_bytes(seed + a, b - a)
            if trickle > 0:
                time.sleep(trickle / pieces)
            if not data:
                continue
            if chunked:
                self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
            else:
                self.wfile.write(data)
            self.wfile.flush()
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int)
    ap.add_argument("--bind", default="127.0.0.1", metavar="ADDR",
                    help="listen on ADDR (IPv4, or IPv6 such as ::1)")
    ap.add_argument("--name", default="backend")
    ap.add_argument("--log")
    ap.add_argument("--pidfile")
    ap.add_argument("--gen", type=int, metavar="N")
    ap.add_argument("--delay", type=float, default=0.0,
                    help="answer every request this many seconds late")
    ap.add_argument("--health-file", metavar="FILE",
                    help="when FILE exists, /health answers what it says")
    ap.add_argument("--one-write", action="store_true",
                    help="send small answers (head and body) in one write")
    ap.add_argument("--proxy-protocol", action="store_true",
                    help="each connection begins with a PROXY header "
                    "(v1 or v2; see above)")
    ap.add_argument("--mode", default="normal",
                    help="normal, drop, close or status:N (see above)")
    a = ap.parse_args()

    if a.gen is not None:
        out = sys.stdout.buffer
        for piece in gen_pieces(0, a.gen):
            out.write(piece)
        out.flush()
        return 0
    if a.port is None:
        ap.error("--port is required")

    try:
        parse_mode(a.mode)
    except ValueError as e:
        ap.error(str(e))

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        srv = Server((a.bind, a.port), Handler, a.name, a.log, a.delay,
                     a.health_file, a.mode, a.one_write,
                     a.proxy_protocol)
    except OSError as e:
        sys.stderr.write("backend.py: %s:%d: %s\n" % (
            "[%s]" % a.bind if ":" in a.bind else a.bind, a.port, e))
        return 2
    return serve_forever(srv, a.pidfile)


if __name__ == "__main__":
    sys.exit(main())
