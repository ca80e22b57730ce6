#!/usr/bin/env python3
r"""Many slow, idle or probing HTTP/1.1 clients in one process (stdlib only),
for the waiter's end-to-end tests (issue 12).

    slowclients.py slowloris --port P --conns N --duration S [--interval S]
                   [--rate R] [--reopen-delay S] [--host H] [--path PATH]
    slowclients.py slowbody  --port P --conns N --duration S [--interval S]
                   [--length N] [--chunk N] [--rate R] [--reopen-delay S]
                   [--host H] [--path PATH]
    slowclients.py idle      --port P --conns N --hold S --probe K [--rate R]
                   [--inflight M] [--timeout S] [--setup-timeout S]
                   [--linger S] [--seed N] [--ready FILE] [--host H]
                   [--path PATH]
    slowclients.py probe     --url http://HOST:PORT/PATH [--interval S]
                   --duration S [--timeout S]
    slowclients.py watch     --status URL --master PID --duration S
                   [--interval S] [--timeout S]
    slowclients.py steps     --port P [--host H] STEP...

All but steps run their connections in one process and one event loop
(selectors, non-blocking sockets); the soft RLIMIT_NOFILE is raised to the
hard limit first, so that 10,000 connections fit. Every run is bounded: by
--duration, by --setup-timeout + --hold + --timeout + --linger for idle,
by its waits for steps. SIGTERM or SIGINT ends it early, with the same
report. The report is one JSON object, the last line on stdout; progress
lines go to stderr (once a second). Exit status 0 unless the command line
is wrong (2), or the host does not resolve or the file limit is too low
for --conns (1).

slowloris  N connections; each sends a partial request head
           ("GET PATH HTTP/1.1", Host, User-Agent) and then one more header
           line every --interval seconds (default 1; the first one at a
           random point of the first interval, so that the lines spread),
           never the empty line. A connection that the server closes (or
           resets, or that fails to connect within 5 s) is opened again
           --reopen-delay seconds later (default 0.1). --rate R opens at
           most R connections a second (0, the default: as fast as they
           go). Report: open (connected at the
           end), connecting, max_open, full_after (seconds until all N were
           first connected at once, or null), reconnects, closes (closed by
           the server: FIN), resets, connect_errors, responses (status code
           -> count: what the server answered before closing), bytes_sent.
slowbody   the same with POSTs: a complete head with Content-Length:
           --length (default 65536), then --chunk bytes (default 4) of the
           body every --interval seconds. A body sent whole waits for its
           response (counted in "completed" and "responses"), then the
           connection is closed and opened again.
idle       N keep-alive connections, at most --rate a second and --inflight
           (default 64) setting up at once, each making one GET (the
           response read whole: Content-Length or chunked). Then they stay
           open and silent for --hold seconds (a close by the server is
           counted, with how long the connection had been idle), then K
           picked at random (--seed) make one more GET each, on the SAME
           socket, all at once. Report: setup_ok, setup_failed (with
           setup_errors by kind), setup_codes, setup_conn_close (answers
           saying "Connection: close"), setup_seconds, open_at_probe,
           closed_idle (and idle_close_after: min/max seconds), probed,
           answered (a whole response on the same connection), answered_ok
           (2xx), closed (closed by the server before or instead of its
           answer), errors, timeouts, codes, p50_ms/p95_ms/p99_ms/max_ms of
           the second requests. When the hold begins a progress line
           {"phase": "idle", ...} goes to stderr and, with --ready FILE, to
           FILE. --linger S keeps the connections open S seconds more
           after the probe (for measurements).
probe      a plain client: a GET every --interval seconds (default 0.25),
           each on a new connection with "Connection: close", each given
           --timeout seconds (default 5) to connect and be answered whole;
           requests overlap when the server is slow. Report: total,
           answered (a whole response), ok (2xx), timeouts, errors (by
           kind), codes, p50_ms/p95_ms/p99_ms/max_ms/mean_ms over the
           answered ones (nearest rank), slowest (start offset and ms of
           the 5 slowest), failed_at (start offsets of the unanswered).
watch      every --interval seconds (default 0.2): the master's children
           from /proc (workers: all but porter-checker and porter-waiter;
           the waiter's pid) and the status page's JSON (URL, with
           "Connection: close", --timeout default 1 s) "waiter" object.
           One JSON line a sample on stdout, then the report: samples,
           status_ok, status_failed, max (the largest value seen of workers
           and of each number of the waiter object), min_workers,
           waiter_pids (every pid seen, in order), last (the last sample).
steps      one connection and a script, each STEP in turn:
             send:TEXT        write TEXT (escapes \r \n \t \\ \xHH)
             file:PATH[:OFFSET[:LENGTH]]  write those bytes of PATH
             pause:SECS       wait; what arrives meanwhile is read later
             interim:SECS     wait up to SECS for a 1xx answer
             response:SECS    wait up to SECS for the next final answer,
                              whole (Content-Length, chunked, or the close)
             close:SECS       wait up to SECS for the server to close
           A step that times out is marked so and the script goes on (as
           curl sends the body when no 100 comes); once the server has
           closed or reset the connection, the steps left are skipped
           (but close). Report: steps (per step: step, t (seconds since
           the connection was made, at its end), and for the waits ok and
           ms), responses (per final answer: code, interim (the 1xx codes
           before it), headers (names lower-cased), body (latin-1 text, at
           most 64 KiB), body_len), end ("done", or "closed"/"reset" when
           the server ended it, "connect" when it could not be made),
           seconds.

Examples: the 10,000 idle connections measurement (porter on PORT with
timeouts.keepalive above HOLD; the soft RLIMIT_NOFILE of porter itself must
allow them too):
    slowclients.py idle --port PORT --conns 10000 --rate 1000 --inflight 64 \
        --setup-timeout 60 --hold 30 --probe 200 --linger 30
a probe beside it:
    slowclients.py probe --url http://127.0.0.1:PORT/ --duration 60
"""

import argparse
import collections
import errno
import heapq
import itertools
import json
import os
import random
import re
import resource
import selectors
import signal
import socket
import sys
import time
import urllib.parse

mono = time.monotonic
STOP = False

CONNECT_TIMEOUT = 5.0
KEEP_BODY = 65536


def on_signal(signum, frame):
    global STOP
    STOP = True


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def progress(obj):
    sys.stderr.write("slowclients: %s\n" % json.dumps(obj, sort_keys=True))
    sys.stderr.flush()


def report(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def percentiles(values):
    """Nearest-rank p50/p95/p99, max and mean of values (ms), or nulls."""
    out = {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None,
           "mean_ms": None}
    if not values:
        return out
    v = sorted(values)

    def rank(p):
        k = max(1, -(-len(v) * p // 100))     # ceil(n * p / 100)
        return round(v[int(k) - 1], 1)
    out.update(p50_ms=rank(50), p95_ms=rank(95), p99_ms=rank(99),
               max_ms=round(v[-1], 1), mean_ms=round(sum(v) / len(v), 1))
    return out


# ---- the event loop --------------------------------------------------------

class Loop:
    """A selector and a heap of timers; callbacks get (mask) or (*args)."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.timers = []
        self.seq = itertools.count()

    def call_at(self, t, fn, *args):
        heapq.heappush(self.timers, (t, next(self.seq), fn, args))

    def call_later(self, dt, fn, *args):
        self.call_at(mono() + dt, fn, *args)

    def run(self, deadline, done=None):
        """Until deadline (monotonic), STOP, or done() is true."""
        while not STOP and not (done and done()):
            now = mono()
            if now >= deadline:
                return
            n = 0
            while self.timers and self.timers[0][0] <= now and n < 100000:
                _, _, fn, args = heapq.heappop(self.timers)
                fn(*args)
                n += 1
            if STOP or (done and done()):
                return
            wait = deadline - now
            if self.timers:
                wait = min(wait, self.timers[0][0] - now)
            try:
                events = self.sel.select(max(0.0, wait))
            except InterruptedError:
                continue
            for key, mask in events:
                key.data(mask)


class Conn:
    """One non-blocking TCP connection. Callbacks: on_open(conn),
    on_data(conn, bytes), on_close(conn, how) with how one of "eof",
    "reset", "connect", "connect-timeout". close() never calls on_close."""

    def __init__(self, loop, addr, on_open, on_data, on_close,
                 connect_timeout=CONNECT_TIMEOUT):
        self.loop = loop
        self.on_open, self.on_data, self.on_close = on_open, on_data, on_close
        self.out = bytearray()
        self.state = "connecting"
        self.events = 0
        self.t_start = mono()
        self.sock = socket.socket(addr[0], socket.SOCK_STREAM)
        self.sock.setblocking(False)
        err = self.sock.connect_ex(addr[1])
        if err not in (0, errno.EINPROGRESS, errno.EAGAIN):
            self.sock.close()
            self.state = "closed"
            loop.call_later(0, self._fail_later, "connect")
            return
        self._want(selectors.EVENT_WRITE)
        loop.call_later(connect_timeout, self._connect_timeout)

    def _fail_later(self, how):
        self.on_close(self, how)

    def _want(self, events):
        if events == self.events:
            return
        if self.events == 0:
            self.loop.sel.register(self.sock, events, self._event)
        elif events == 0:
            self.loop.sel.unregister(self.sock)
        else:
            self.loop.sel.modify(self.sock, events, self._event)
        self.events = events

    def _update(self):
        if self.state == "open":
            self._want(selectors.EVENT_READ |
                       (selectors.EVENT_WRITE if self.out else 0))

    def _connect_timeout(self):
        if self.state == "connecting":
            self._lost("connect-timeout")

    def _event(self, mask):
        if self.state == "connecting":
            err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self._lost("connect")
                return
            self.state = "open"
            self.t_open = mono()
            self._update()
            self.on_open(self)
            return
        if self.state != "open":
            return
        if mask & selectors.EVENT_READ:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                self._lost("reset")
                return
            if data is not None:
                if not data:
                    self._lost("eof")
                    return
                self.on_data(self, data)
                if self.state != "open":
                    return
        if mask & selectors.EVENT_WRITE:
            self._flush()

    def send(self, data):
        if self.state != "open":
            return
        self.out += data
        self._flush()

    def _flush(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                # the server went away; what it said before is still read
                # (a 408, a FIN) if it is there, else it was a reset
                self.out.clear()
                self._drain_then_lose()
                return
            del self.out[:n]
        self._update()

    def _drain_then_lose(self):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    self._lost("eof")
                    return
                self.on_data(self, data)
                if self.state != "open":
                    return
        except (BlockingIOError, InterruptedError):
            self._lost("reset")
        except OSError:
            self._lost("reset")

    def peer_closed(self):
        """True when the server has closed (or reset) an idle connection."""
        try:
            data = self.sock.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        return not data

    def close(self):
        if self.state == "closed":
            return
        self._want(0)
        self.sock.close()
        self.state = "closed"

    def _lost(self, how):
        self.close()
        self.on_close(self, how)


class Resp:
    """An HTTP/1.x response read as it arrives: 1xx answers skipped (their
    codes kept in interim), then one final response framed by
    Content-Length, chunked or the close. feed() returns True once it is
    whole; bytes after it are kept in rest."""

    def __init__(self, head_only=False):
        self.head_only = head_only
        self.buf = bytearray()
        self.state = "head"
        self.code = None
        self.headers = {}
        self.interim = []
        self.body = bytearray()
        self.body_len = 0
        self.left = 0
        self.rest = b""
        self.error = None

    def done(self):
        return self.state == "done"

    def _body(self, b):
        self.body_len += len(b)
        if len(self.body) < KEEP_BODY:
            self.body += b[:KEEP_BODY - len(self.body)]

    def feed(self, data):
        if self.state in ("done", "error"):
            self.rest += data
            return self.state == "done"
        self.buf += data
        while True:
            st = self.state
            if st == "head":
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self.buf) > 65536:
                        self.state, self.error = "error", "head too big"
                    return False
                head = bytes(self.buf[:end]).decode("latin-1")
                del self.buf[:end + 4]
                lines = head.split("\r\n")
                parts = lines[0].split(" ", 2)
                if len(parts) < 2 or not parts[0].startswith("HTTP/") or \
                        not parts[1].isdigit():
                    self.state, self.error = "error", "bad status line"
                    return False
                code = int(parts[1])
                if 100 <= code < 200:
                    self.interim.append(code)
                    continue
                self.code = code
                for ln in lines[1:]:
                    k, _, v = ln.partition(":")
                    self.headers.setdefault(k.strip().lower(), v.strip())
                te = self.headers.get("transfer-encoding", "").lower()
                if self.head_only or code in (204, 304):
                    self.state = "done"
                elif "chunked" in te:
                    self.state = "size"
                elif "content-length" in self.headers:
                    try:
                        self.left = int(self.headers["content-length"])
                    except ValueError:
                        self.state, self.error = "error", "bad length"
                        return False
                    self.state = "cl" if self.left else "done"
                else:
                    self.state = "close"
            elif st == "cl":
                take = bytes(self.buf[:self.left])
                del self.buf[:len(take)]
                self._body(take)
                self.left -= len(take)
                if self.left:
                    return False
                self.state = "done"
            elif st == "size":
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return False
                try:
                    n = int(bytes(self.buf[:end]).split(b";")[0].strip(), 16)
                except ValueError:
                    self.state, self.error = "error", "bad chunk size"
                    return False
                del self.buf[:end + 2]
                self.left = n
                self.state = "chunk" if n else "trailer"
            elif st == "chunk":
                take = bytes(self.buf[:self.left])
                del self.buf[:len(take)]
                self._body(take)
                self.left -= len(take)
                if self.left:
                    return False
                self.state = "crlf"
            elif st == "crlf":
                if len(self.buf) < 2:
                    return False
                del self.buf[:2]
                self.state = "size"
            elif st == "trailer":
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return False
                line = bytes(self.buf[:end])
                del self.buf[:end + 2]
                if not line:
                    self.state = "done"
            elif st == "close":
                self._body(bytes(self.buf))
                self.buf.clear()
                return False
            elif st == "done":
                self.rest = bytes(self.buf)
                self.buf.clear()
                return True
            else:
                return False

    def eof(self):
        """The server closed: True when that completes the response."""
        if self.state == "close":
            self.state = "done"
        return self.state == "done"


def resolve(host, port):
    ai = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0]
    return (ai[0], ai[4])


def host_field(host, port):
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


class Opener:
    """Opens connections at most rate a second (0: at once), with at most
    inflight (0: any number) of them not yet released by done()."""

    def __init__(self, loop, rate, inflight=0):
        self.loop, self.rate, self.limit = loop, rate, inflight
        self.q = collections.deque()
        self.next_t = 0.0
        self.busy = 0
        self.timer = False

    def want(self, fn):
        self.q.append(fn)
        self._pump()

    def done(self):
        self.busy -= 1
        self._pump()

    def _tick(self):
        self.timer = False
        self._pump()

    def _pump(self):
        while self.q and not STOP and \
                (not self.limit or self.busy < self.limit):
            now = mono()
            if self.rate > 0:
                if now < self.next_t:
                    if not self.timer:
                        self.timer = True
                        self.loop.call_at(self.next_t, self._tick)
                    return
                # a late loop catches up, but by 50 ms at most
                self.next_t = max(self.next_t, now - 0.05) + 1.0 / self.rate
            self.busy += 1
            self.q.popleft()()


# ---- slowloris, slowbody ---------------------------------------------------

class Trickle:
    def __init__(self, a, body):
        self.a = a
        self.body = body            # slowbody: POSTs with a trickled body
        self.loop = Loop()
        self.addr = resolve(a.host, a.port)
        self.host = host_field(a.host, a.port)
        self.opener = Opener(self.loop, a.rate)
        self.conns = [None] * a.conns
        self.n_open = self.n_connecting = self.max_open = 0
        self.full_after = None
        self.st = collections.Counter()
        self.responses = collections.Counter()
        self.bytes_sent = 0
        self.t0 = mono()
        self.rng = random.Random(1)
        self.payload = (b"0123456789abcdefghijklmnopqrstuvwxyz" * 1000)

    def open(self, i):
        self.n_connecting += 1
        c = Conn(self.loop, self.addr, self.opened, self.data, self.lost)
        c.slot, c.resp, c.k, c.sent_body, c.counted = i, None, 0, 0, False
        self.conns[i] = c

    def want_open(self, i, delay=0.0):
        def go():
            if not STOP:
                self.open(i)
        if delay:
            self.loop.call_later(delay, self.opener.want, go)
        else:
            self.opener.want(go)

    def send(self, c, data):
        self.bytes_sent += len(data)
        c.send(data)

    def opened(self, c):
        self.opener.done()
        self.n_connecting -= 1
        self.n_open += 1
        self.max_open = max(self.max_open, self.n_open)
        if self.full_after is None and self.n_open == self.a.conns:
            self.full_after = round(mono() - self.t0, 3)
        path = "%s%d" % (self.a.path, c.slot)
        if self.body:
            head = ("POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: slowclients"
                    "\r\nContent-Type: application/octet-stream\r\n"
                    "Content-Length: %d\r\n\r\n"
                    % (path, self.host, self.a.length))
        else:
            head = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: slowclients"
                    "\r\n" % (path, self.host))
        self.send(c, head.encode())
        first = self.rng.uniform(0, self.a.interval)
        self.loop.call_later(first, self.drip, c)

    def drip(self, c):
        if c.state != "open" or STOP:
            return
        if self.body:
            if c.sent_body >= self.a.length:
                return
            n = min(self.a.chunk, self.a.length - c.sent_body)
            off = c.sent_body % 36
            self.send(c, self.payload[off:off + n])
            c.sent_body += n
            if c.sent_body >= self.a.length:
                c.resp = c.resp or Resp()
                return          # now its answer
        else:
            c.k += 1
            self.send(c, b"X-Slow-%d: %d\r\n" % (c.k, c.k))
        self.loop.call_later(self.a.interval, self.drip, c)

    def data(self, c, data):
        if c.resp is None:
            c.resp = Resp()
        c.resp.feed(data)
        if c.resp.code is not None and not c.counted:
            c.counted = True
            self.responses[str(c.resp.code)] += 1
        if self.body and c.resp.done() and c.sent_body >= self.a.length:
            self.st["completed"] += 1
            c.close()
            self.n_open -= 1
            self.want_open(c.slot, self.a.reopen_delay)

    def lost(self, c, how):
        if how in ("connect", "connect-timeout"):
            self.n_connecting -= 1
            self.opener.done()
            self.st["connect_errors"] += 1
        else:
            self.n_open -= 1
            self.st["closes" if how == "eof" else "resets"] += 1
        if not STOP:
            self.st["reconnects"] += 1
            self.want_open(c.slot, self.a.reopen_delay)

    def tick(self):
        progress({"mode": self.mode(), "t": round(mono() - self.t0, 1),
                  "open": self.n_open, "connecting": self.n_connecting,
                  "closes": self.st["closes"], "resets": self.st["resets"],
                  "reconnects": self.st["reconnects"]})
        self.loop.call_later(1.0, self.tick)

    def mode(self):
        return "slowbody" if self.body else "slowloris"

    def run(self):
        for i in range(self.a.conns):
            self.want_open(i)
        self.loop.call_later(1.0, self.tick)
        self.loop.run(self.t0 + self.a.duration)
        out = {"mode": self.mode(), "conns": self.a.conns,
               "open": self.n_open, "connecting": self.n_connecting,
               "max_open": self.max_open, "full_after": self.full_after,
               "reconnects": self.st["reconnects"],
               "closes": self.st["closes"], "resets": self.st["resets"],
               "connect_errors": self.st["connect_errors"],
               "responses": dict(self.responses),
               "bytes_sent": self.bytes_sent,
               "seconds": round(mono() - self.t0, 3),
               "stopped": STOP}
        if self.body:
            out["completed"] = self.st["completed"]
            out["length"] = self.a.length
        for c in self.conns:
            if c is not None:
                c.close()
        return out


# ---- idle ------------------------------------------------------------------

class Idle:
    def __init__(self, a):
        self.a = a
        self.loop = Loop()
        self.addr = resolve(a.host, a.port)
        self.host = host_field(a.host, a.port)
        self.opener = Opener(self.loop, a.rate, a.inflight)
        self.t0 = mono()
        self.conns = []
        self.settled = 0
        self.st = collections.Counter()
        self.setup_errors = collections.Counter()
        self.setup_codes = collections.Counter()
        self.codes = collections.Counter()
        self.idle_close_after = []
        self.lat = []
        self.phase = "setup"
        self.pending = 0

    def request(self, c, tag):
        c.resp = Resp()
        c.t_req = mono()
        c.send(("GET %s%d%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: slowclients"
                "\r\n\r\n" % (self.a.path, c.slot, tag, self.host)).encode())

    def open(self, i):
        c = Conn(self.loop, self.addr, self.opened, self.data, self.lost,
                 connect_timeout=self.a.timeout)
        c.slot, c.phase, c.resp = i, "setup", None
        self.conns.append(c)
        self.loop.call_later(self.a.timeout, self.setup_timeout, c)

    def settle(self, c, phase, error=None):
        c.phase = phase
        self.settled += 1
        self.opener.done()
        if error:
            self.setup_errors[error] += 1
            c.close()

    def opened(self, c):
        self.request(c, "")

    def setup_timeout(self, c):
        if c.phase == "setup":
            self.settle(c, "failed", "timeout")

    def data(self, c, data):
        if c.phase == "setup":
            if c.resp.feed(data):
                self.setup_codes[str(c.resp.code)] += 1
                if c.resp.rest:
                    self.settle(c, "failed", "data after the response")
                elif c.resp.code != 200:
                    self.settle(c, "failed", "status %d" % c.resp.code)
                else:
                    if "close" in c.resp.headers.get("connection",
                                                     "").lower():
                        self.st["setup_conn_close"] += 1
                    c.t_idle = mono()
                    self.settle(c, "idle")
            elif c.resp.state == "error":
                self.settle(c, "failed", c.resp.error)
        elif c.phase == "probing":
            if c.resp.feed(data):
                self.probe_end(c, "answered")
            elif c.resp.state == "error":
                self.probe_end(c, "error")
        else:           # idle, or already answered: nothing may come
            self.st["unexpected_data"] += 1

    def lost(self, c, how):
        if c.phase == "setup":
            if c.resp is not None and c.resp.eof():
                self.setup_codes[str(c.resp.code)] += 1
                self.st["setup_conn_close"] += 1
                self.settle(c, "closed")
                c.t_closed = mono()
                return
            self.settle(c, "failed", how)
        elif c.phase == "idle":
            c.phase = "closed"
            c.t_closed = mono()
            self.st["closed_idle"] += 1
            self.idle_close_after.append(c.t_closed - c.t_idle)
        elif c.phase == "probing":
            if c.resp.eof():
                self.probe_end(c, "answered")
            else:
                self.probe_end(c, "closed" if how == "eof" else "error")
        elif c.phase == "answered":
            self.st["closed_after_probe"] += 1

    def probe_start(self, c):
        if c.phase == "closed" or c.state != "open" or c.peer_closed():
            if c.phase == "idle":
                c.phase = "closed"
                self.st["closed_idle"] += 1
                self.idle_close_after.append(mono() - c.t_idle)
            self.st["closed"] += 1
            return
        c.phase = "probing"
        self.pending += 1
        self.request(c, "?again")
        self.loop.call_later(self.a.timeout, self.probe_timeout, c)

    def probe_timeout(self, c):
        if c.phase == "probing":
            self.probe_end(c, "timeout")

    def probe_end(self, c, how):
        self.pending -= 1
        if how == "answered":
            c.phase = "answered"
            self.st["answered"] += 1
            self.codes[str(c.resp.code)] += 1
            if 200 <= c.resp.code < 300:
                self.st["answered_ok"] += 1
            self.lat.append((mono() - c.t_req) * 1000.0)
            return
        c.phase = "done"
        self.st[{"closed": "closed", "timeout": "timeouts"}.get(how,
                                                                "errors")] += 1
        c.close()

    def run(self):
        a = self.a
        for i in range(a.conns):
            self.opener.want(lambda i=i: self.open(i))
        last = [mono()]

        def setup_done():
            if mono() - last[0] >= 1.0:
                last[0] = mono()
                progress({"phase": "setup", "t": round(last[0] - self.t0, 1),
                          "settled": self.settled, "conns": a.conns})
            return self.settled >= a.conns
        self.loop.run(self.t0 + a.setup_timeout, setup_done)
        setup_s = round(mono() - self.t0, 3)
        ok = [c for c in self.conns if c.phase in ("idle", "closed")]
        for c in self.conns:        # what never got to be opened or answered
            if c.phase == "setup":
                c.close()
                c.phase = "failed"
                self.setup_errors["setup-timeout"] += 1
        failed = a.conns - len(ok)
        ready = {"phase": "idle", "t": setup_s, "setup_ok": len(ok),
                 "setup_failed": failed,
                 "open": sum(1 for c in ok if c.phase == "idle")}
        progress(ready)
        if a.ready:
            with open(a.ready + ".tmp", "w") as f:
                f.write(json.dumps(ready, sort_keys=True) + "\n")
            os.rename(a.ready + ".tmp", a.ready)
        self.loop.run(mono() + a.hold)
        open_at_probe = sum(1 for c in ok if c.phase == "idle")
        picked = random.Random(a.seed).sample(ok, min(a.probe, len(ok)))
        self.phase = "probe"
        for c in picked:
            self.probe_start(c)
        self.loop.run(mono() + a.timeout + 1, lambda: self.pending <= 0)
        if a.linger > 0 and not STOP:
            self.loop.run(mono() + a.linger)
        ica = self.idle_close_after
        out = {"mode": "idle", "conns": a.conns, "setup_ok": len(ok),
               "setup_failed": failed,
               "setup_errors": dict(self.setup_errors),
               "setup_codes": dict(self.setup_codes),
               "setup_conn_close": self.st["setup_conn_close"],
               "setup_seconds": setup_s, "open_at_probe": open_at_probe,
               "closed_idle": self.st["closed_idle"],
               "idle_close_after": {"min": round(min(ica), 3),
                                    "max": round(max(ica), 3)}
               if ica else None,
               "unexpected_data": self.st["unexpected_data"],
               "probed": len(picked), "answered": self.st["answered"],
               "answered_ok": self.st["answered_ok"],
               "closed": self.st["closed"], "errors": self.st["errors"],
               "timeouts": self.st["timeouts"],
               "closed_after_probe": self.st["closed_after_probe"],
               "codes": dict(self.codes),
               "seconds": round(mono() - self.t0, 3), "stopped": STOP}
        out.update(percentiles(self.lat))
        for c in self.conns:
            c.close()
        return out


# ---- probe -----------------------------------------------------------------

class Probe:
    def __init__(self, a):
        u = urllib.parse.urlsplit(a.url)
        if u.scheme != "http" or not u.hostname:
            raise SystemExit("slowclients: probe: --url must be "
                             "http://HOST:PORT/PATH")
        self.a = a
        self.port = u.port or 80
        self.addr = resolve(u.hostname, self.port)
        self.target = (u.path or "/") + ("?" + u.query if u.query else "")
        self.host = host_field(u.hostname, self.port)
        self.loop = Loop()
        self.t0 = mono()
        self.total = self.pending = 0
        self.lat = []
        self.codes = collections.Counter()
        self.errors = collections.Counter()
        self.st = collections.Counter()
        self.failed_at = []
        self.slow = []

    def start(self):
        if STOP:
            return
        self.total += 1
        self.pending += 1
        c = Conn(self.loop, self.addr, self.opened, self.data, self.lost,
                 connect_timeout=self.a.timeout + 1)
        c.resp, c.over = Resp(), False
        c.offset = round(c.t_start - self.t0, 3)
        self.loop.call_later(self.a.timeout, self.timeout, c)

    def opened(self, c):
        c.send(("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: slowclients-probe"
                "\r\nConnection: close\r\n\r\n"
                % (self.target, self.host)).encode())

    def end(self, c, how):
        if c.over:
            return
        c.over = True
        self.pending -= 1
        c.close()
        if how == "answered":
            ms = (mono() - c.t_start) * 1000.0
            self.lat.append(ms)
            self.slow.append((ms, c.offset))
            self.codes[str(c.resp.code)] += 1
            if 200 <= c.resp.code < 300:
                self.st["ok"] += 1
            return
        self.failed_at.append(c.offset)
        if how == "timeout":
            self.st["timeouts"] += 1
        else:
            self.errors[how] += 1

    def data(self, c, data):
        if c.resp.feed(data):
            self.end(c, "answered")
        elif c.resp.state == "error":
            self.end(c, c.resp.error)

    def lost(self, c, how):
        self.end(c, "answered" if c.resp.eof() else
                 {"eof": "closed"}.get(how, how))

    def timeout(self, c):
        self.end(c, "timeout")

    def run(self):
        a = self.a
        n = max(1, int(round(a.duration / a.interval)))
        for i in range(n):
            self.loop.call_at(self.t0 + i * a.interval, self.start)
        self.loop.run(self.t0 + n * a.interval + a.timeout + 2,
                      lambda: self.total >= n and self.pending <= 0)
        unfinished = self.pending
        out = {"mode": "probe", "url": a.url, "total": self.total,
               "answered": len(self.lat), "ok": self.st["ok"],
               "timeouts": self.st["timeouts"], "unfinished": unfinished,
               "errors": dict(self.errors), "codes": dict(self.codes),
               "failed_at": self.failed_at,
               "slowest": [[o, round(ms, 1)] for ms, o in
                           sorted(self.slow, reverse=True)[:5]],
               "seconds": round(mono() - self.t0, 3), "stopped": STOP}
        out.update(percentiles(self.lat))
        return out


# ---- watch -----------------------------------------------------------------

def children(master):
    """(workers, waiter pid) among master's children, from /proc."""
    workers, waiter = 0, None
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        l, r = s.find("("), s.rfind(")")
        rest = s[r + 2:].split()
        if len(rest) < 2 or rest[1] != str(master) or rest[0] in "ZX":
            continue
        comm = s[l + 1:r]
        if comm == "porter-waiter":
            waiter = int(d)
        elif comm != "porter-checker":
            workers += 1
    return workers, waiter


def fetch_json(url, timeout):
    u = urllib.parse.urlsplit(url)
    port = u.port or 80
    target = (u.path or "/") + ("?" + u.query if u.query else "")
    s = socket.create_connection((u.hostname, port), timeout=timeout)
    deadline = mono() + timeout
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (target, host_field(u.hostname, port))).encode())
        r = Resp()
        while not r.done():
            left = deadline - mono()
            if left <= 0:
                raise TimeoutError("status page: timeout")
            s.settimeout(left)
            data = s.recv(65536)
            if not data:
                if not r.eof():
                    raise OSError("status page: closed early")
                break
            r.feed(data)
            if r.state == "error":
                raise OSError("status page: " + r.error)
        if r.code != 200:
            raise OSError("status page: %s" % r.code)
        return json.loads(bytes(r.body).decode())
    finally:
        s.close()


def watch(a):
    t0 = mono()
    n = ok = bad = 0
    mx = {}
    min_workers = None
    pids = []
    last = None
    while not STOP and mono() - t0 < a.duration:
        t = mono()
        workers, wpid = children(a.master)
        try:
            w = fetch_json(a.status, a.timeout).get("waiter")
            ok += 1
        except (OSError, ValueError, AttributeError):
            w = None
            bad += 1
        n += 1
        sample = {"t": round(t - t0, 2), "workers": workers,
                  "waiter_pid": wpid, "waiter": w}
        sys.stdout.write(json.dumps(sample, sort_keys=True) + "\n")
        sys.stdout.flush()
        last = sample
        mx["workers"] = max(mx.get("workers", 0), workers)
        min_workers = workers if min_workers is None else \
            min(min_workers, workers)
        if wpid is not None and (not pids or pids[-1] != wpid):
            pids.append(wpid)
        if isinstance(w, dict):
            for k, v in w.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    mx[k] = max(mx.get(k, v), v)
        left = a.interval - (mono() - t)
        if left > 0:
            time.sleep(min(left, max(0.0, a.duration - (mono() - t0))))
    return {"mode": "watch", "samples": n, "status_ok": ok,
            "status_failed": bad, "max": mx, "min_workers": min_workers,
            "waiter_pids": pids, "last": last,
            "seconds": round(mono() - t0, 3), "stopped": STOP}


# ---- steps -----------------------------------------------------------------

def unescape(text):
    r"""TEXT with \r \n \t \\ and \xHH decoded, as rawhttp.py does."""
    simple = {b"r": b"\r", b"n": b"\n", b"t": b"\t", b"\\": b"\\"}

    def one(m):
        e = m.group(1)
        return simple[e] if e in simple else bytes([int(e[1:], 16)])
    return re.sub(rb"\\([rnt\\]|x[0-9a-fA-F]{2})", one, os.fsencode(text))


def file_bytes(spec):
    path, _, rng = spec.partition(":")
    off, _, length = rng.partition(":")
    with open(path, "rb") as f:
        f.seek(int(off or 0))
        return f.read(int(length) if length else -1)


def steps(a):
    t_start = mono()
    try:
        s = socket.create_connection((a.host, a.port), timeout=10)
    except OSError as e:
        return {"mode": "steps", "end": "connect", "error": str(e),
                "steps": [], "responses": [], "seconds": 0.0}
    t0 = mono()
    st = {"cur": Resp(), "closed": None}
    done = []
    events = []

    def interims():
        return len(st["cur"].interim) + sum(len(r.interim) for r in done)

    def feed(data):
        while data:
            if not st["cur"].feed(data):
                return
            done.append(st["cur"])
            data = st["cur"].rest
            st["cur"].rest = b""
            st["cur"] = Resp()

    def read_until(pred, secs):
        deadline = mono() + secs
        while not pred():
            if st["closed"] or STOP:
                return False
            left = deadline - mono()
            if left <= 0:
                return False
            s.settimeout(left)
            try:
                data = s.recv(65536)
            except socket.timeout:
                return False
            except OSError:
                st["closed"] = "reset"
                continue
            if not data:
                st["closed"] = "closed"
                if st["cur"].eof():
                    done.append(st["cur"])
                    st["cur"] = Resp()
                continue
            feed(data)
        return True

    for step in a.script:
        name, _, arg = step.partition(":")
        ev = {"step": step if len(step) <= 80 else step[:77] + "..."}
        if st["closed"] and name != "close":
            ev["skipped"] = True
            events.append(ev)
            continue
        t = mono()
        if name == "send" or name == "file":
            data = unescape(arg) if name == "send" else file_bytes(arg)
            s.settimeout(10)
            try:
                s.sendall(data)
            except OSError as e:
                ev["error"] = str(e)
                read_until(lambda: False, 0.2)   # what it said, if any
                st["closed"] = st["closed"] or "reset"
        elif name == "pause":
            time.sleep(float(arg))
        elif name == "interim":
            n = interims()
            ev["ok"] = read_until(lambda: interims() > n, float(arg))
        elif name == "response":
            n = len(done)
            ev["ok"] = read_until(lambda: len(done) > n, float(arg))
        elif name == "close":
            ev["ok"] = read_until(lambda: st["closed"] is not None,
                                  float(arg))
        else:
            raise SystemExit("slowclients: steps: unknown step %r" % step)
        if "ok" in ev:
            ev["ms"] = round((mono() - t) * 1000.0, 1)
        ev["t"] = round(mono() - t0, 3)
        events.append(ev)
    s.close()
    return {"mode": "steps", "steps": events,
            "responses": [{"code": r.code, "interim": r.interim,
                           "headers": r.headers,
                           "body": bytes(r.body).decode("latin-1"),
                           "body_len": r.body_len} for r in done],
            "end": st["closed"] or "done",
            "seconds": round(mono() - t_start, 3)}


# ---- command line ----------------------------------------------------------

def main(argv):
    p = argparse.ArgumentParser(
        prog="slowclients.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp, path):
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--port", type=int, required=True)
        sp.add_argument("--conns", type=int, required=True)
        sp.add_argument("--rate", type=float, default=0.0)
        sp.add_argument("--path", default=path)

    sp = sub.add_parser("slowloris")
    common(sp, "/slowloris/")
    sp.add_argument("--duration", type=float, required=True)
    sp.add_argument("--interval", type=float, default=1.0)
    sp.add_argument("--reopen-delay", type=float, default=0.1)
    sp = sub.add_parser("slowbody")
    common(sp, "/sha?slowbody=")
    sp.add_argument("--duration", type=float, required=True)
    sp.add_argument("--interval", type=float, default=1.0)
    sp.add_argument("--reopen-delay", type=float, default=0.1)
    sp.add_argument("--length", type=int, default=65536)
    sp.add_argument("--chunk", type=int, default=4)
    sp = sub.add_parser("idle")
    common(sp, "/idle/")
    sp.add_argument("--hold", type=float, required=True)
    sp.add_argument("--probe", type=int, required=True)
    sp.add_argument("--inflight", type=int, default=64)
    sp.add_argument("--timeout", type=float, default=10.0)
    sp.add_argument("--setup-timeout", type=float, default=60.0)
    sp.add_argument("--linger", type=float, default=0.0)
    sp.add_argument("--seed", type=int, default=12)
    sp.add_argument("--ready")
    sp = sub.add_parser("probe")
    sp.add_argument("--url", required=True)
    sp.add_argument("--interval", type=float, default=0.25)
    sp.add_argument("--duration", type=float, required=True)
    sp.add_argument("--timeout", type=float, default=5.0)
    sp = sub.add_parser("watch")
    sp.add_argument("--status", required=True)
    sp.add_argument("--master", type=int, required=True)
    sp.add_argument("--duration", type=float, required=True)
    sp.add_argument("--interval", type=float, default=0.2)
    sp.add_argument("--timeout", type=float, default=1.0)
    sp = sub.add_parser("steps")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("script", nargs="+", metavar="STEP")
    a = p.parse_args(argv)
    for k in ("duration", "interval", "hold", "timeout", "setup_timeout"):
        v = getattr(a, k, None)
        if v is not None and not (0 < v <= 3600):
            p.error("--%s must be in (0, 3600]" % k.replace("_", "-"))
    if getattr(a, "conns", 1) < 0 or getattr(a, "chunk", 1) < 1:
        p.error("--conns and --chunk must be positive")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    nofile = raise_nofile()
    need = getattr(a, "conns", 0) + 16
    if need > nofile:
        sys.stderr.write("slowclients: %d connections need %d files; "
                         "RLIMIT_NOFILE is %d\n" % (a.conns, need, nofile))
        return 1
    try:
        if a.cmd == "slowloris":
            out = Trickle(a, body=False).run()
        elif a.cmd == "slowbody":
            out = Trickle(a, body=True).run()
        elif a.cmd == "idle":
            out = Idle(a).run()
        elif a.cmd == "probe":
            out = Probe(a).run()
        elif a.cmd == "steps":
            out = steps(a)
        else:
            out = watch(a)
    except socket.gaierror as e:
        sys.stderr.write("slowclients: %s\n" % e)
        return 1
    report(out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        os._exit(0)
