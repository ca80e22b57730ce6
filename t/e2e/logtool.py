#!/usr/bin/env python3
"""Helpers for the access log tests (t/e2e/a*.sh).

    logtool.py load PORT N CONNS [--path P] [--host H]
        N GET requests over CONNS keep-alive connections at once (one
        thread each, N split as evenly as can be), to 127.0.0.1:PORT,
        path P (default /load) with "?i=K" appended. Prints one JSON
        object: {"sent": N, "statuses": {"200": n, ...}, "errors": n,
        "connections": n} where connections counts the connections each
        thread had to open (1 each when keep-alive held throughout).

    logtool.py jsonl FILE
        Every line of FILE (bytes) must be valid UTF-8 and one JSON object.
        Prints {"lines": n, "bad": [first 5 bad lines, repr'd]}.

    logtool.py lines FILE REGEX
        Every line of FILE (decoded as latin-1) must match REGEX whole.
        Prints {"lines": n, "bad": [first 5 bad lines]}.

    logtool.py syslogd (--unix PATH | --udp PORT) --out FILE --pidfile F
        A syslog server for the tests: each datagram it receives is written
        to FILE as one line, json.dumps of the datagram decoded as latin-1.
        The pid file is written once the socket is bound; serves until
        killed (a unix socket file left by a server before it is replaced;
        the new one is mode 666, as /dev/log is).

    logtool.py jsonstr HEX
        The string (as JSON) that porter's json format must log for the
        bytes HEX: well-formed UTF-8 as itself, every other byte as the
        code point of its value.
"""

import http.client
import json
import os
import re
import signal
import socket
import sys
import threading


def cmd_load(args):
    port, n, conns = int(args[0]), int(args[1]), int(args[2])
    path, host = "/load", "127.0.0.1"
    rest = args[3:]
    while rest:
        if rest[0] == "--path":
            path = rest[1]
        elif rest[0] == "--host":
            host = rest[1]
        else:
            sys.exit("load: unknown option %s" % rest[0])
        rest = rest[2:]
    statuses, lock = {}, threading.Lock()
    errors, opened = [0], [0]

    def worker(count, base):
        conn = None
        for k in range(count):
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=10)
                    with lock:
                        opened[0] += 1
                conn.request("GET", "%s?i=%d" % (path, base + k))
                resp = conn.getresponse()
                resp.read()
                with lock:
                    statuses[str(resp.status)] = \
                        statuses.get(str(resp.status), 0) + 1
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                with lock:
                    errors[0] += 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    threads, base = [], 0
    for t in range(conns):
        count = n // conns + (1 if t < n % conns else 0)
        th = threading.Thread(target=worker, args=(count, base))
        base += count
        threads.append(th)
        th.start()
    for th in threads:
        th.join(120)
    print(json.dumps({"sent": n, "statuses": statuses, "errors": errors[0],
                      "connections": opened[0]}))


def cmd_jsonl(args):
    bad, n = [], 0
    with open(args[0], "rb") as f:
        for raw in f:
            n += 1
            try:
                if not raw.endswith(b"\n"):
                    raise ValueError("no newline")
                obj = json.loads(raw.decode("utf-8"))
                if not isinstance(obj, dict):
                    raise ValueError("not an object")
            except ValueError as e:
                if len(bad) < 5:
                    bad.append("%r: %s" % (raw[:300], e))
    print(json.dumps({"lines": n, "bad": bad}))


def cmd_lines(args):
    rx = re.compile(args[1])
    bad, n = [], 0
    with open(args[0], "rb") as f:
        for raw in f:
            n += 1
            line = raw.decode("latin-1")
            if not line.endswith("\n") or not rx.fullmatch(line[:-1]):
                if len(bad) < 5:
                    bad.append(line[:300])
    print(json.dumps({"lines": n, "bad": bad}))


def cmd_syslogd(args):
    unix = udp = out = pidfile = None
    while args:
        if args[0] == "--unix":
            unix = args[1]
        elif args[0] == "--udp":
            udp = int(args[1])
        elif args[0] == "--out":
            out = args[1]
        elif args[0] == "--pidfile":
            pidfile = args[1]
        else:
            sys.exit("syslogd: unknown option %s" % args[0])
        args = args[2:]
    if unix:
        try:
            os.unlink(unix)
        except FileNotFoundError:
            pass
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(unix)
        os.chmod(unix, 0o666)   # as /dev/log: anyone may send
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", udp))
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    f = open(out, "a", buffering=1)
    if pidfile:
        with open(pidfile + ".tmp", "w") as p:
            p.write("%d\n" % os.getpid())
        os.rename(pidfile + ".tmp", pidfile)
    while True:
        d = s.recv(1 << 17)
        f.write(json.dumps(d.decode("latin-1")) + "\n")


def porter_json_string(b):
    """What porter's json format logs for the bytes b (as a str)."""
    out, i = [], 0
    while i < len(b):
        for k in (1, 2, 3, 4):
            try:
                ch = b[i:i + k].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                out.append(ch)
                i += k
                break
        else:
            out.append(chr(b[i]))
            i += 1
    return "".join(out)


def cmd_jsonstr(args):
    print(json.dumps(porter_json_string(bytes.fromhex(args[0]))))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"load": cmd_load, "jsonl": cmd_jsonl, "lines": cmd_lines,
     "syslogd": cmd_syslogd, "jsonstr": cmd_jsonstr}.get(
        cmd, lambda a: sys.exit(__doc__))(args)


if __name__ == "__main__":
    main()
