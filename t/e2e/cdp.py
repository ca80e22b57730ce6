#!/usr/bin/env python3
"""Drive headless Chromium through the DevTools protocol, for porter's tests.

    cdp.py --profile DIR [--chromium PATH] [--size WxH] [--timeout SECS]
           [--log FILE] STEP...

Stdlib only. Chromium runs with --remote-debugging-pipe: it reads the
protocol's JSON messages on its fd 3 and writes its own on fd 4, each
ended by a NUL byte, so no WebSocket and no port are needed. One page
(a target of its own) runs the steps in order:

    nojs              turn JavaScript off for the page (before goto)
    goto:URL          navigate and wait for the load event
    wait:EXPR         evaluate EXPR every 0.1 s until it is truthy
    eval:NAME:EXPR    evaluate EXPR (promises awaited) and print
                      "NAME<TAB>JSON of the value" on stdout
    run:COMMAND       run COMMAND with sh -c (traffic between steps);
                      a non-zero exit fails the step
    click:SELECTOR    click the element (its click() method)
    clicknav:SELECTOR click it and wait for the page that loads after
                      (a form's POST, a redirect, the page it leads to)
    dom:FILE          write the DOM (document.documentElement.outerHTML)
    shot:FILE         write a PNG of the whole page (--size wide)

Each step that waits gives up after --timeout seconds (default 30). On
any failure: a line on stderr saying which step and why, and exit 1;
otherwise exit 0. Chromium is always stopped at the end (its stderr goes
to --log, default /dev/null). The page's console messages, the browser's
log entries (a Content-Security-Policy violation is one) and uncaught
exceptions are printed on stderr as "console: ..." and "log: ..." lines;
a JavaScript dialog (alert, confirm) is dismissed and printed as
"dialog: ..."; at the end "exceptions: N" and "dialogs: N", so a test
can tell the page's script failed or something ran that should not.
"""
import argparse
import base64
import json
import os
import select
import subprocess
import sys
import time


class Fail(Exception):
    pass


class Browser:
    def __init__(self, args):
        self.timeout = args.timeout
        to_r, self.to_w = os.pipe()       # we write, chromium reads (fd 3)
        self.from_r, from_w = os.pipe()   # chromium writes (fd 4), we read
        log = open(args.log, "ab") if args.log else subprocess.DEVNULL
        w, h = args.size.split("x")

        def fds():
            # dup2 leaves the copies without close-on-exec
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        cmd = [args.chromium, "--headless=new", "--no-sandbox",
               "--disable-gpu", "--remote-debugging-pipe",
               "--user-data-dir=" + args.profile, "--no-first-run",
               "--no-default-browser-check", "--disable-extensions",
               "--disable-background-networking", "--disable-sync",
               "--disable-component-update", "--disable-default-apps",
               "--no-pings", "--hide-scrollbars",
               "--window-size=%s,%s" % (w, h), "about:blank"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log,
                                     preexec_fn=fds, pass_fds=(3, 4))
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        self.exceptions = 0
        self.dialogs = 0

    def close(self):
        try:
            os.close(self.to_w)
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _read_one(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail("no answer from chromium in time")
            r, _, _ = select.select([self.from_r], [], [], left)
            if not r:
                continue
            chunk = os.read(self.from_r, 65536)
            if not chunk:
                raise Fail("chromium closed the pipe (exit %s)"
                           % self.proc.poll())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        m = json.loads(msg)
        if m.get("method") == "Runtime.consoleAPICalled":
            a = m["params"].get("args", [])
            sys.stderr.write("console: %s\n" % " ".join(
                str(x.get("value", x.get("description", ""))) for x in a))
        elif m.get("method") == "Log.entryAdded":
            e = m["params"]["entry"]
            sys.stderr.write("log: %s %s: %s\n" % (
                e.get("level"), e.get("source"), e.get("text")))
        elif m.get("method") == "Page.javascriptDialogOpening":
            self.dialogs += 1
            sys.stderr.write("dialog: %s\n" % m["params"].get("message"))
            # answered at once: the page (and any evaluate) waits on it
            self.post("Page.handleJavaScriptDialog", {"accept": False})
        elif m.get("method") == "Runtime.exceptionThrown":
            self.exceptions += 1
            d = m["params"]["exceptionDetails"]
            sys.stderr.write("console: exception: %s\n" % d.get(
                "exception", {}).get("description", d.get("text")))
        return m

    def post(self, method, params=None, session=True):
        """Send a command; its id (the answer is read by send())."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def send(self, method, params=None, session=True):
        my_id = self.post(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            m = self._read_one(deadline)
            if m.get("id") == my_id:
                if "error" in m:
                    raise Fail("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method, since):
        """The first event named method after position since."""
        deadline = time.monotonic() + self.timeout
        while True:
            for i in range(since, len(self.events)):
                if self.events[i]["method"] == method:
                    return self.events[i]
            since = len(self.events)
            m = self._read_one(deadline)
            if "method" in m:
                self.events.append(m)

    def evaluate(self, expr):
        r = self.send("Runtime.evaluate", {
            "expression": expr, "returnByValue": True,
            "awaitPromise": True})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise Fail("evaluate %r: %s" % (expr, d.get("exception", {}).get(
                "description", d.get("text"))))
        return r["result"].get("value")


def run(b, steps):
    t = b.send("Target.createTarget", {"url": "about:blank"},
               session=False)
    a = b.send("Target.attachToTarget", {"targetId": t["targetId"],
                                          "flatten": True}, session=False)
    b.session = a["sessionId"]
    b.send("Page.enable")
    b.send("Runtime.enable")
    b.send("Log.enable")
    for step in steps:
        kind, _, arg = step.partition(":")
        try:
            if kind == "nojs":
                b.send("Emulation.setScriptExecutionDisabled",
                       {"value": True})
            elif kind == "goto":
                mark = len(b.events)
                r = b.send("Page.navigate", {"url": arg})
                if r.get("errorText"):
                    raise Fail(r["errorText"])
                b.wait_event("Page.loadEventFired", mark)
            elif kind == "wait":
                deadline = time.monotonic() + b.timeout
                while not b.evaluate(arg):
                    if time.monotonic() > deadline:
                        raise Fail("still false after %ss" % b.timeout)
                    time.sleep(0.1)
            elif kind == "eval":
                name, _, expr = arg.partition(":")
                print("%s\t%s" % (name, json.dumps(b.evaluate(expr))),
                      flush=True)
            elif kind == "run":
                r = subprocess.run(["sh", "-c", arg], stdin=subprocess.DEVNULL,
                                   stdout=sys.stderr, timeout=b.timeout)
                if r.returncode != 0:
                    raise Fail("exit status %d" % r.returncode)
            elif kind in ("click", "clicknav"):
                mark = len(b.events)
                found = b.evaluate(
                    "(function (e) { if (!e) return false; e.click(); "
                    "return true; })(document.querySelector(%s))"
                    % json.dumps(arg))
                if not found:
                    raise Fail("no element matches")
                if kind == "clicknav":
                    b.wait_event("Page.loadEventFired", mark)
            elif kind == "dom":
                with open(arg, "w") as f:
                    f.write(b.evaluate("document.documentElement.outerHTML"))
            elif kind == "shot":
                m = b.send("Page.getLayoutMetrics")
                size = m.get("cssContentSize", m.get("contentSize"))
                r = b.send("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "scale": 1,
                             "width": size["width"],
                             "height": size["height"]}})
                with open(arg, "wb") as f:
                    f.write(base64.b64decode(r["data"]))
            else:
                raise Fail("unknown step")
        except Fail as e:
            raise Fail("step %r: %s" % (step, e))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", required=True)
    ap.add_argument("--chromium", default="chromium")
    ap.add_argument("--size", default="1400x1000")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--log")
    ap.add_argument("steps", nargs="+")
    args = ap.parse_args()
    b = Browser(args)
    rc = 0
    try:
        run(b, args.steps)
    except (Fail, OSError, ValueError, KeyError,
            subprocess.TimeoutExpired) as e:
        sys.stderr.write("cdp.py: %s\n" % e)
        rc = 1
    finally:
        sys.stderr.write("exceptions: %d\ndialogs: %d\n" % (
            b.exceptions, b.dialogs))
        b.close()
    sys.exit(rc)


if __name__ == "__main__":
    main()
