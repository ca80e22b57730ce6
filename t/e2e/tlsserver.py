#!/usr/bin/env python3
"""A small HTTPS (or plain HTTP) server for porter's forward-proxy tests.

    tlsserver.py --port P --cert CERT.pem --key KEY.pem [--marker TEXT]
                 [--log FILE] [--pidfile FILE] [--plain]
    tlsserver.py --makecert DIR   write DIR/cert.pem and DIR/key.pem with
                                  openssl: self-signed for "localhost"
                                  (SAN DNS:localhost, IP:127.0.0.1), and exit

Stdlib only (http.server and ssl). Listens on 127.0.0.1, one thread per
connection, HTTP/1.1 with keep-alive; the TLS handshake happens in the
connection's thread, so a stalled client holds nobody else up. --plain
serves the same pages without TLS.

Endpoints (GET unless said):
  /              an HTML page: <title>porter tls test</title>, a
                 <p id="marker">MARKER</p> and <script src="/app.js">
  /app.js        script that appends <p id="js">JS-MARKER</p> to the body
                 (so a browser's DOM shows the script was fetched and ran)
  /big?size=N    N bytes: bytes 0..255 repeated
  /sha  (POST)   "LEN SHA256HEX\\n" of the request body (Content-Length)
  anything else  404

Every response carries X-Tls-Server: MARKER. The log (--log) gets one
JSON object per request: {"method", "path", "headers": [[k, v], ...],
"tls": true/false, "body_len"}.
"""

import argparse
import hashlib
import http.server
import json
import os
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import urllib.parse

from serve import serve_forever

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>porter tls test</title></head>
<body><h1>porter forward proxy test page</h1>
<p id="marker">%s</p>
<script src="/app.js"></script>
</body></html>
"""

SCRIPT = """var p = document.createElement("p");
p.id = "js";
p.textContent = "JS-" + %s;
document.body.appendChild(p);
"""


def pattern(n):
    block = bytes(range(256)) * 256
    while n > 0:
        piece = block[:n]
        n -= len(piece)
        yield piece


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, ctx, marker, log):
        self.ctx = ctx
        self.marker = marker
        self.logf = open(log, "a", buffering=1) if log else None
        self.lock = threading.Lock()
        super().__init__(addr, handler)

    def handle_error(self, request, client_address):
        pass    # quiet: clients reset connections and fail handshakes

    def log_request(self, rec):
        if self.logf is None:
            return
        with self.lock:
            self.logf.write(json.dumps(rec, sort_keys=True) + "\n")
            self.logf.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "porter-e2e-tlsserver"
    timeout = 30        # an idle connection is closed after this

    def version_string(self):
        return self.server_version

    def setup(self):
        # the handshake here, in this connection's own thread
        if self.server.ctx is not None:
            self.request.settimeout(self.timeout)
            self.request = self.server.ctx.wrap_socket(self.request,
                                                       server_side=True)
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        pass

    def log_error(self, fmt, *args):
        pass

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def reply(self, code, body, ctype="text/plain", send_body=True):
        self.send_response(code)
        self.send_header("X-Tls-Server", self.server.marker)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def dispatch(self):
        srv = self.server
        h = hashlib.sha256()
        n = int(self.headers.get("Content-Length") or 0)
        blen = n
        while n > 0:
            b = self.rfile.read(min(n, 65536))
            if not b:
                self.close_connection = True
                return
            h.update(b)
            n -= len(b)
        srv.log_request({
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "tls": srv.ctx is not None,
            "body_len": blen,
        })
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        body = self.command != "HEAD"
        if u.path == "/":
            self.reply(200, (PAGE % srv.marker).encode(),
                       "text/html; charset=utf-8", body)
        elif u.path == "/app.js":
            self.reply(200, (SCRIPT % json.dumps(srv.marker)).encode(),
                       "application/javascript", body)
        elif u.path == "/big":
            size = int(q.get("size", "1000"))
            self.send_response(200)
            self.send_header("X-Tls-Server", srv.marker)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if body:
                for piece in pattern(size):
                    self.wfile.write(piece)
        elif u.path == "/sha":
            self.reply(200, b"%d %s\n" % (blen, h.hexdigest().encode()),
                       send_body=body)
        else:
            self.reply(404, b"not found\n", send_body=body)


def makecert(d):
    cert = os.path.join(d, "cert.pem")
    key = os.path.join(d, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--marker", default="TLS-PAGE-MARKER")
    ap.add_argument("--log")
    ap.add_argument("--pidfile")
    ap.add_argument("--plain", action="store_true",
                    help="plain HTTP, no TLS")
    ap.add_argument("--makecert", metavar="DIR")
    a = ap.parse_args()

    if a.makecert:
        return makecert(a.makecert)
    if a.port is None or (not a.plain and not (a.cert and a.key)):
        ap.error("--port and (--cert and --key, or --plain) are required")

    ctx = None
    if not a.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        srv = Server(("127.0.0.1", a.port), Handler, ctx, a.marker, a.log)
    except OSError as e:
        sys.stderr.write("tlsserver.py: 127.0.0.1:%d: %s\n" % (a.port, e))
        return 2
    return serve_forever(srv, a.pidfile)


if __name__ == "__main__":
    sys.exit(main())
