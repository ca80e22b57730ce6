#!/usr/bin/env python3
"""Send raw bytes to a TCP server and print what comes back.

    rawhttp.py [-t SECS] [-i SECS] [-d SECS] [-n N] [-s] [-v] [HOST:]PORT [DATA ...]

Each DATA argument is one write, with the escapes \\r \\n \\t \\0 \\\\ and
\\xHH decoded; consecutive writes are DELAY seconds apart (-d). An empty
DATA sends nothing (connect and stay silent). With no DATA, standard input
is sent as is, in one write. Reading goes on while writing, until the peer
closes, the connection is reset, the total timeout (-t, default 5) expires,
nothing arrived for -i seconds (after something did), or -n complete
responses were read (responses delimited by Content-Length or chunked; 1xx
responses are not counted). A write refused because the peer already closed
stops the writing, not the reading.

Everything received goes to stdout, byte for byte. -s shuts down the write
side after the last write. -v prints one line on stderr at the end:
    rawhttp: END after SECONDS s, BYTES bytes, WRITES/TOTAL writes
where END is closed, reset, timeout, idle or done (the -n count was reached).
Exit status 0 unless the connection could not be made (2) or usage (1).
"""

import errno
import os
import re
import select
import socket
import sys
import time


def unescape(s):
    out = bytearray()
    i = 0
    b = os.fsencode(s)
    simple = {ord("r"): 13, ord("n"): 10, ord("t"): 9, ord("0"): 0,
              ord("\\"): 92}
    while i < len(b):
        c = b[i]
        if c == 92 and i + 1 < len(b):
            n = b[i + 1]
            if n in simple:
                out.append(simple[n])
                i += 2
                continue
            if n == ord("x") and re.fullmatch(rb"[0-9a-fA-F]{2}",
                                              b[i + 2:i + 4]):
                out.append(int(b[i + 2:i + 4], 16))
                i += 4
                continue
        out.append(c)
        i += 1
    return bytes(out)


def complete_responses(buf):
    """Number of complete final responses at the start of buf."""
    count = 0
    pos = 0
    while True:
        end = buf.find(b"\r\n\r\n", pos)
        if end < 0:
            return count
        head = buf[pos:end].decode("latin-1")
        body = end + 4
        lines = head.split("\r\n")
        m = re.match(r"HTTP/\d\.\d (\d\d\d)", lines[0])
        if not m:
            return count
        code = int(m.group(1))
        if 100 <= code < 200:
            pos = body
            continue
        fields = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            fields[k.strip().lower()] = v.strip()
        if code in (204, 304):
            pos = body
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            p = body
            while True:
                e = buf.find(b"\r\n", p)
                if e < 0:
                    return count
                try:
                    size = int(buf[p:e].split(b";")[0].strip(), 16)
                except ValueError:
                    return count
                p = e + 2
                if size == 0:
                    while True:     # trailers, then an empty line
                        e = buf.find(b"\r\n", p)
                        if e < 0:
                            return count
                        line = buf[p:e]
                        p = e + 2
                        if not line:
                            break
                    break
                if len(buf) < p + size + 2:
                    return count
                p += size + 2
            pos = p
        elif "content-length" in fields:
            try:
                n = int(fields["content-length"])
            except ValueError:
                return count
            if len(buf) < body + n:
                return count
            pos = body + n
        else:
            return count        # delimited by close: never "complete"
        count += 1


def main(argv):
    total, idle, delay, want, shut, verbose = 5.0, None, 0.0, None, False, False
    args = list(argv)
    while args and args[0].startswith("-") and len(args[0]) > 1:
        o = args.pop(0)
        if o == "--":
            break
        if o in ("-t", "-i", "-d", "-n"):
            if not args:
                sys.stderr.write("rawhttp: %s needs a value\n" % o)
                return 1
            v = args.pop(0)
            if o == "-t":
                total = float(v)
            elif o == "-i":
                idle = float(v)
            elif o == "-d":
                delay = float(v)
            else:
                want = int(v)
        elif o == "-s":
            shut = True
        elif o == "-v":
            verbose = True
        elif o in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        else:
            sys.stderr.write("rawhttp: unknown option %s\n" % o)
            return 1
    if not args:
        sys.stderr.write(__doc__)
        return 1
    target = args.pop(0)
    host, _, port = target.rpartition(":")
    host = host or "127.0.0.1"
    if args:
        writes = [unescape(a) for a in args]
    else:
        writes = [sys.stdin.buffer.read()]

    t0 = time.monotonic()
    try:
        s = socket.create_connection((host, int(port)), timeout=total)
    except OSError as e:
        sys.stderr.write("rawhttp: connect %s:%s: %s\n" % (host, port, e))
        return 2
    s.setblocking(False)
    out = sys.stdout.buffer
    got = bytearray()
    sent = 0            # writes completed
    pending = b""       # rest of the current write
    next_at = t0        # when the next write may start
    writing = True
    end = "timeout"
    last_rx = None

    while True:
        now = time.monotonic()
        if now - t0 >= total:
            end = "timeout"
            break
        if idle is not None and last_rx is not None and now - last_rx >= idle:
            end = "idle"
            break
        if writing and not pending and sent < len(writes) and now >= next_at:
            pending = writes[sent]
            if not pending:
                sent += 1
                next_at = now + delay
        if writing and not pending and sent >= len(writes):
            writing = False
            if shut:
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        wait = total - (now - t0)
        if idle is not None and last_rx is not None:
            wait = min(wait, idle - (now - last_rx))
        if writing and not pending:
            wait = min(wait, max(0.0, next_at - now))
        wfds = [s] if writing and pending else []
        r, w, _ = select.select([s], wfds, [], max(0.0, wait))
        if w:
            try:
                n = s.send(pending)
                pending = pending[n:]
                if not pending:
                    sent += 1
                    next_at = time.monotonic() + delay
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    pass
                else:           # EPIPE, ECONNRESET: peer is gone
                    writing = False
                    pending = b""
        if r:
            try:
                data = s.recv(65536)
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    continue
                end = "reset"
                break
            if not data:
                end = "closed"
                break
            out.write(data)
            out.flush()
            got += data
            last_rx = time.monotonic()
            if want is not None and complete_responses(bytes(got)) >= want:
                end = "done"
                break
    el = time.monotonic() - t0
    s.close()
    if verbose:
        sys.stderr.write("rawhttp: %s after %.3f s, %d bytes, %d/%d writes\n"
                         % (end, el, len(got), sent, len(writes)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        os._exit(0)
