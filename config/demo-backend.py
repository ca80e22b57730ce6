#!/usr/bin/env python3
"""demo-backend.py PORT: a tiny backend for ./quickstart to put porter in
front of. Listens on 127.0.0.1:PORT and answers every GET and HEAD with a
page that names it ("Hello from demo backend 9001"); /health answers 200
"OK". Prints "ready" once it listens, and nothing else. Exits with status
98 (EADDRINUSE) if the port is already taken, so quickstart can tell the
user their own backend is there.
"""
import errno
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive, as porter's upstreams
    server_version = "demo-backend"

    def do_GET(self):
        port = self.server.server_address[1]
        if self.path.split("?")[0] == "/health":
            body = b"OK\n"
        else:
            body = b"Hello from demo backend %d\n" % port
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: demo-backend.py PORT")
    # quickstart stops us with TERM; Ctrl-C on the terminal may reach us
    # too. Nothing to clean up: leave at once, quietly, even when the other
    # signal comes while the interpreter is shutting down.
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    signal.signal(signal.SIGINT, lambda *a: os._exit(0))
    ThreadingHTTPServer.daemon_threads = True
    try:
        srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            sys.exit(98)
        raise
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
