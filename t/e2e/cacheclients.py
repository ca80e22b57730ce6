#!/usr/bin/env python3
"""Clients for porter's cache tests (stdlib only); each prints one JSON
report on stdout (the last line) and exits 0 unless its arguments were bad.

    cacheclients.py burst --port P --target /cache/x?... [--n 50]
        [--timeout S] [--first-alone S] [--header 'Name: value' ...]
        [--size N --seed K]
    cacheclients.py load --port P --urls FILE [--threads 16]
        [--duration 30] [--timeout S]
    cacheclients.py killer --master PID [--kills 200] [--duration 40]

Every request is HTTP/1.1 on a connection of its own (Connection: close),
read raw: the head, then the body by its framing (Content-Length or
chunked) or to the close. A response is "complete" when its whole
Content-Length arrived or the terminating zero chunk did; "timeout" when no
byte came for --timeout seconds at any point (a client stuck).

burst: N clients for one target, started together (a barrier; with
--first-alone S, client 0 first and the others S seconds later). Report:
{"n", "results": [{"i", "status", "cache_status", "x_fetch", "len",
"sha256", "complete", "t_start", "t_head", "t_first", "t_done", "error"}],
"statuses": {code: n}, "shas": {sha: n}, "max_done", "timeouts", "errors",
"expected_sha" (with --size: of bytes [seed, seed + size) of backend.py's
deterministic stream), "bad_bodies" (complete, 200, not the expected
bytes)}. Times are seconds since the barrier (client 0's start).

load: --threads clients, each picking targets at random from FILE (lines
"TARGET SIZE SEED": the body must be bytes [SEED, SEED + SIZE) of the
deterministic stream) until --duration passes. Report: {"requests",
"complete", "corrupt" (complete but other bytes), "corrupt_samples",
"truncated" (closed or reset before complete), "timeouts" (stuck),
"timeout_samples", "errors" (connect and other), "statuses", "hits",
"hit_gaps_max" (longest time without a completed hit, the ends of the run
included), "max_request_s"}.

killer: SIGKILL a random worker of the master (a child that is not
porter-checker or porter-waiter) every duration/kills seconds, kills
times (when stalled, catching up no faster than 0.9 of that interval,
within duration + 15 s). Report: {"kills", "pids", "none_found"}.
"""

import argparse
import hashlib
import json
import os
import random
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backend import gen_pieces  # noqa: E402  (the same bytes as /cache)


def expected_sha(seed, size):
    h = hashlib.sha256()
    for piece in gen_pieces(seed, size):
        h.update(piece)
    return h.hexdigest()


def parse_chunked(data):
    """(body, complete) of a chunked body received so far."""
    out = []
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return b"".join(out), False
        try:
            n = int(data[pos:eol].split(b";", 1)[0].strip(), 16)
        except ValueError:
            return b"".join(out), False
        pos = eol + 2
        if n == 0:
            # trailers end with an empty line; "0\r\n\r\n" at least
            return b"".join(out), data.find(b"\r\n", pos) >= 0
        if len(data) < pos + n + 2:
            out.append(data[pos:pos + n])
            return b"".join(out), False
        out.append(data[pos:pos + n])
        pos += n + 2


def fetch(port, target, headers=(), timeout=10.0, method="GET", t0=None,
          host="127.0.0.1"):
    """One request on a connection of its own; a dict of what came."""
    t0 = time.monotonic() if t0 is None else t0
    r = {"status": None, "cache_status": None, "x_fetch": None, "len": 0,
         "sha256": None, "complete": False, "t_start": None, "t_head": None,
         "t_first": None, "t_done": None, "error": None, "headers": {}}
    r["t_start"] = round(time.monotonic() - t0, 4)
    head = b""
    rest = []
    s = None
    try:
        s = socket.create_connection((host, port), timeout=timeout)
        req = "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n" % (
            method, target, host, port)
        for h in headers:
            req += h + "\r\n"
        s.sendall((req + "\r\n").encode("latin-1"))
        buf = b""
        while b"\r\n\r\n" not in buf:
            b = s.recv(65536)
            if not b:
                raise ConnectionError("closed before the end of the head")
            buf += b
        r["t_head"] = round(time.monotonic() - t0, 4)
        head, _, first = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        r["status"] = int(lines[0].split()[1])
        hd = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            k = k.strip().lower()
            hd[k] = (hd[k] + ", " if k in hd else "") + v.strip()
        r["headers"] = hd
        r["cache_status"] = hd.get("cache-status")
        r["x_fetch"] = hd.get("x-fetch")
        bodiless = (method == "HEAD" or r["status"] in (204, 304)
                    or r["status"] < 200)
        if first:
            r["t_first"] = r["t_head"]
            rest.append(first)
        if not bodiless:
            chunked = "chunked" in hd.get("transfer-encoding", "").lower()
            cl = hd.get("content-length")
            have = len(first)
            while True:
                if cl is not None and not chunked and have >= int(cl):
                    break
                b = s.recv(262144)
                if not b:
                    break
                if r["t_first"] is None:
                    r["t_first"] = round(time.monotonic() - t0, 4)
                rest.append(b)
                have += len(b)
                if chunked and b.endswith(b"\r\n\r\n") and \
                        parse_chunked(b"".join(rest))[1]:
                    break
    except socket.timeout:
        r["error"] = "timeout"
    except (OSError, ConnectionError, ValueError, IndexError) as e:
        r["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        if s is not None:
            s.close()
    r["t_done"] = round(time.monotonic() - t0, 4)
    data = b"".join(rest)
    if r["status"] is not None:
        hd = r["headers"]
        if method == "HEAD" or r["status"] in (204, 304) or r["status"] < 200:
            body, complete = b"", r["error"] is None
        elif "chunked" in hd.get("transfer-encoding", "").lower():
            body, complete = parse_chunked(data)
        elif "content-length" in hd:
            n = int(hd["content-length"])
            body, complete = data[:n], len(data) >= n
        else:
            body, complete = data, r["error"] is None
        r["len"] = len(body)
        r["sha256"] = hashlib.sha256(body).hexdigest()
        r["complete"] = complete
        r["body_head"] = body[:200].decode("latin-1")
    return r


def cmd_burst(a):
    n = a.n
    results = [None] * n
    barrier = threading.Barrier(n + 1)
    t0box = []

    def run(i):
        barrier.wait()
        if a.first_alone and i > 0:
            time.sleep(a.first_alone)
        results[i] = fetch(a.port, a.target, a.header, a.timeout,
                           a.method, t0box[0])
        results[i]["i"] = i

    threads = [threading.Thread(target=run, args=(i,), daemon=True)
               for i in range(n)]
    for t in threads:
        t.start()
    t0box.append(time.monotonic())
    barrier.wait()
    for t in threads:
        t.join(a.timeout * 4 + 60)
    rep = {"n": n, "results": [], "statuses": {}, "shas": {},
           "timeouts": 0, "errors": 0, "max_done": 0.0}
    want = expected_sha(a.seed, a.size) if a.size is not None else None
    rep["expected_sha"] = want
    bad = 0
    for r in results:
        if r is None:
            r = {"i": None, "error": "thread did not end", "status": None}
        r.pop("headers", None)
        rep["results"].append(r)
        rep["statuses"][str(r["status"])] = rep["statuses"].get(
            str(r["status"]), 0) + 1
        if r.get("sha256"):
            rep["shas"][r["sha256"]] = rep["shas"].get(r["sha256"], 0) + 1
        if r["error"] == "timeout":
            rep["timeouts"] += 1
        elif r["error"]:
            rep["errors"] += 1
        rep["max_done"] = max(rep["max_done"], r.get("t_done") or 0.0)
        if want and r["status"] == 200 and (not r["complete"]
                                            or r["sha256"] != want):
            bad += 1
    rep["bad_bodies"] = bad
    print(json.dumps(rep, sort_keys=True))
    return 0


def cmd_load(a):
    urls = []
    with open(a.urls) as f:
        for ln in f:
            w = ln.split()
            if len(w) >= 3:
                urls.append((w[0], int(w[1]), int(w[2])))
    shas = {}
    for t, size, seed in urls:
        shas[t] = expected_sha(seed, size)
    lock = threading.Lock()
    st = {"requests": 0, "complete": 0, "corrupt": 0, "corrupt_samples": [],
          "truncated": 0, "timeouts": 0, "timeout_samples": [], "errors": 0,
          "error_samples": [], "statuses": {}, "hits": 0,
          "max_request_s": 0.0}
    hit_times = []
    t0 = time.monotonic()
    end = t0 + a.duration

    def run(k):
        rnd = random.Random(k)
        while time.monotonic() < end:
            target = rnd.choice(urls)[0]
            r = fetch(a.port, target, (), a.timeout, "GET", t0)
            with lock:
                st["requests"] += 1
                st["statuses"][str(r["status"])] = st["statuses"].get(
                    str(r["status"]), 0) + 1
                st["max_request_s"] = max(st["max_request_s"],
                                          r["t_done"] - r["t_start"])
                if r["error"] == "timeout":
                    st["timeouts"] += 1
                    if len(st["timeout_samples"]) < 5:
                        st["timeout_samples"].append(
                            [target, r["t_start"], r["t_head"], r["len"],
                             r["cache_status"]])
                elif r["status"] is None:
                    st["errors"] += 1
                    if len(st["error_samples"]) < 5:
                        st["error_samples"].append([target, r["error"]])
                if r["status"] == 200 and r["complete"]:
                    if r["sha256"] != shas[target]:
                        st["corrupt"] += 1
                        if len(st["corrupt_samples"]) < 5:
                            st["corrupt_samples"].append(
                                [target, r["len"], r["cache_status"],
                                 r["x_fetch"], r["error"]])
                    else:
                        st["complete"] += 1
                        cs = r["cache_status"] or ""
                        if "; hit" in cs:
                            st["hits"] += 1
                            hit_times.append(r["t_done"])
                elif r["status"] == 200:
                    st["truncated"] += 1

    threads = [threading.Thread(target=run, args=(k,), daemon=True)
               for k in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(a.duration + a.timeout * 4 + 60)
    stop = time.monotonic() - t0
    pts = [0.0] + sorted(hit_times) + [stop]
    st["hit_gaps_max"] = round(max(b - c for b, c in zip(pts[1:], pts)), 3)
    st["duration"] = round(stop, 3)
    print(json.dumps(st, sort_keys=True))
    return 0


def children(master):
    """[(pid, comm)] of the master's children."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        rest = s[s.rindex(")") + 2:].split()
        if rest[0] != "Z" and int(rest[1]) == master:
            out.append((int(d), comm))
    return out


def cmd_killer(a):
    rep = {"kills": 0, "pids": [], "none_found": 0}
    every = a.duration / max(1, a.kills)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    # Behind schedule (a loaded machine stalled us), catch up no faster
    # than one kill per 0.9 * every: a burst of catch-up kills would be
    # a crash loop (master/pool.c holds respawns above 8 deaths a second)
    # that the load never caused.
    gap = every * 0.9
    nxt = t0 = last = time.monotonic()
    while rep["kills"] < a.kills and not stop and \
            time.monotonic() - t0 < a.duration + 15:
        nxt = max(nxt + every, last + gap)
        ws = [p for p, c in children(a.master)
              if c not in ("porter-checker", "porter-waiter")]
        last = time.monotonic()
        if ws:
            p = random.choice(ws)
            try:
                os.kill(p, signal.SIGKILL)
                rep["kills"] += 1
                rep["pids"].append(p)
            except OSError:
                pass
        else:
            rep["none_found"] += 1
        d = nxt - time.monotonic()
        if d > 0:
            time.sleep(d)
    rep["pids"] = rep["pids"][:20]
    print(json.dumps(rep, sort_keys=True))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("burst")
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--target", required=True)
    b.add_argument("--n", type=int, default=50)
    b.add_argument("--timeout", type=float, default=10.0)
    b.add_argument("--first-alone", type=float, default=0.0)
    b.add_argument("--header", action="append", default=[])
    b.add_argument("--method", default="GET")
    b.add_argument("--size", type=int)
    b.add_argument("--seed", type=int, default=0)
    ld = sub.add_parser("load")
    ld.add_argument("--port", type=int, required=True)
    ld.add_argument("--urls", required=True)
    ld.add_argument("--threads", type=int, default=16)
    ld.add_argument("--duration", type=float, default=30.0)
    ld.add_argument("--timeout", type=float, default=3.0)
    k = sub.add_parser("killer")
    k.add_argument("--master", type=int, required=True)
    k.add_argument("--kills", type=int, default=200)
    k.add_argument("--duration", type=float, default=40.0)
    a = ap.parse_args()
    return {"burst": cmd_burst, "load": cmd_load, "killer": cmd_killer}[
        a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
