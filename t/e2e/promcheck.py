#!/usr/bin/env python3
"""A checker for the Prometheus text exposition format, version 0.0.4.

Parses a scrape line by line against the format's rules, and what
Prometheus' own linter adds for names:

  - every line ends in LF, the last too; no CR
  - "# HELP name text" and "# TYPE name type" (counter, gauge, histogram,
    summary, untyped); other "#" lines are comments
  - one HELP and one TYPE per family, both before its first sample; a
    family's samples are contiguous (no family starts twice)
  - metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names
    [a-zA-Z_][a-zA-Z0-9_]* not starting "__", no label twice in a sample
  - label values in double quotes with only \\\\, \\" and \\n escapes;
    valid UTF-8 throughout
  - values: a Go float (digits, exponent, NaN, +Inf, -Inf); an optional
    integer timestamp
  - no series (name and label set) twice
  - a sample belongs to the family before it: the family's name, or for a
    histogram NAME_bucket, NAME_sum, NAME_count (summary: NAME, _sum,
    _count); every sample has a HELP and TYPE
  - counters end in _total; counters and histogram parts are >= 0
  - histograms: every label set has buckets with an le label, le strictly
    ascending, the last +Inf, counts cumulative (never decreasing), and
    _sum and _count, _count equal to the +Inf bucket
  - base units: no name with _milliseconds, _microseconds, _kilobytes ...

Usage:
  promcheck.py check FILE [PREV]   check FILE; with PREV (an earlier scrape
                                   of the same target), also that no counter
                                   or histogram part went down and that none
                                   of PREV's counter series went missing.
                                   Prints each problem, exit 1 if any.
  promcheck.py value FILE NAME [LABEL=VALUE ...]
                                   the sum of NAME's samples whose labels
                                   include those given (nothing printed, exit 1
                                   when none matches)
  promcheck.py families FILE       "name type" per family, in order
  promcheck.py selftest            the checker on known-good and known-bad
                                   texts: each rule must catch its case
"""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                   r"|[Ii]nf|[Ii]nfinity|NaN)")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
BAD_UNITS = re.compile(r"_(milli|micro|nano|kilo|mega|giga)?"
                       r"(seconds|bytes)?(ms|us|ns|kb|mb|gb|kib|mib|gib|"
                       r"milliseconds|microseconds|nanoseconds|minutes|"
                       r"hours|days|kilobytes|megabytes|gigabytes)(_|$)")


def gofloat(s):
    if not FLOAT.fullmatch(s):
        raise ValueError(s)
    return float(s)


def parse_labels(s, i, errs, where):
    """Labels from s[i] == '{'; returns (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            errs.append("%s: bad label name at column %d" % (where, i + 1))
            return None, i
        ln = m.group(0)
        if ln.startswith("__"):
            errs.append("%s: label name %s is reserved (__)" % (where, ln))
        i = m.end()
        if s[i:i + 2] != '="':
            errs.append("%s: label %s: expected =\"" % (where, ln))
            return None, i
        i += 2
        v = []
        while True:
            if i >= len(s):
                errs.append("%s: label %s: value not closed" % (where, ln))
                return None, i
            c = s[i]
            if c == "\\":
                n = s[i + 1:i + 2]
                if n not in ("\\", '"', "n"):
                    errs.append("%s: label %s: bad escape \\%s"
                                % (where, ln, n))
                    return None, i
                v.append("\n" if n == "n" else n)
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == "\n":
                errs.append("%s: label %s: raw newline" % (where, ln))
                return None, i
            v.append(c)
            i += 1
        if ln in labels:
            errs.append("%s: label %s twice" % (where, ln))
        labels[ln] = "".join(v)
        if i < len(s) and s[i] == ",":
            i += 1
            continue
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        errs.append("%s: expected , or } after label %s" % (where, ln))
        return None, i


def parse(text):
    """(families, samples, errors). families: name -> dict(type, help,
    order); samples: list of (name, labels dict, value, family, line)."""
    errs = []
    fams = {}
    samples = []
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            return {}, [], ["not valid UTF-8: %s" % e]
    if text and not text.endswith("\n"):
        errs.append("the last line does not end in LF")
    if "\r" in text:
        errs.append("a CR in the text")
    current = None          # the family whose samples come now
    done = set()            # families whose samples are over
    seen = set()
    for no, line in enumerate(text.split("\n")[:-1] if text.endswith("\n")
                              else text.split("\n"), 1):
        where = "line %d" % no
        if line.strip() == "":
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                kind, name = parts[1], parts[2]
                rest = parts[3] if len(parts) > 3 else ""
                if not NAME.fullmatch(name):
                    errs.append("%s: bad metric name %r" % (where, name))
                    continue
                f = fams.setdefault(name, {"type": None, "help": None,
                                           "order": len(fams),
                                           "samples": 0})
                if name in done or f["samples"]:
                    errs.append("%s: %s for %s after its samples"
                                % (where, kind, name))
                if current is not None and current != name:
                    done.add(current)
                current = name
                if kind == "HELP":
                    if f["help"] is not None:
                        errs.append("%s: second HELP for %s" % (where, name))
                    if re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                        errs.append("%s: HELP of %s: bad escape"
                                    % (where, name))
                    f["help"] = rest
                else:
                    if f["type"] is not None:
                        errs.append("%s: second TYPE for %s" % (where, name))
                    if rest not in TYPES:
                        errs.append("%s: TYPE of %s: %r is no type"
                                    % (where, name, rest))
                    f["type"] = rest
            continue
        m = NAME.match(line)
        if not m:
            errs.append("%s: bad metric name: %r" % (where, line[:40]))
            continue
        name = m.group(0)
        i = m.end()
        labels = {}
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i, errs, where)
            if labels is None:
                continue
        if i >= len(line) or line[i] != " ":
            errs.append("%s: expected a space before the value" % where)
            continue
        rest = line[i + 1:].split(" ")
        if len(rest) not in (1, 2) or rest[0] == "":
            errs.append("%s: expected VALUE [TIMESTAMP]" % where)
            continue
        try:
            value = gofloat(rest[0])
        except ValueError:
            errs.append("%s: bad value %r" % (where, rest[0]))
            continue
        if len(rest) == 2 and not re.fullmatch(r"-?[0-9]+", rest[1]):
            errs.append("%s: bad timestamp %r" % (where, rest[1]))
        # which family: the current one, by its name or a histogram part
        fam = None
        if current is not None:
            t = fams[current]["type"]
            parts = {current}
            if t == "histogram":
                parts = {current + s for s in ("_bucket", "_sum", "_count")}
            elif t == "summary":
                parts = {current, current + "_sum", current + "_count"}
            if name in parts:
                fam = current
        if fam is None:
            errs.append("%s: sample %s has no HELP and TYPE before it (or "
                        "is not part of family %s)" % (where, name, current))
            continue
        f = fams[fam]
        if f["help"] is None or f["type"] is None:
            errs.append("%s: family %s has no %s before its samples"
                        % (where, fam, "HELP" if f["help"] is None
                           else "TYPE"))
        f["samples"] += 1
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            errs.append("%s: series %s%s twice" % (where, name, labels))
        seen.add(key)
        samples.append((name, labels, value, fam, no))
    return fams, samples, errs


def check_semantics(fams, samples):
    errs = []
    for name, f in fams.items():
        if f["type"] is None or f["help"] is None:
            errs.append("family %s: no %s" % (name, "TYPE" if f["type"] is
                                              None else "HELP"))
        if f["type"] == "counter" and not name.endswith("_total"):
            errs.append("counter %s does not end in _total" % name)
        if f["type"] != "counter" and name.endswith("_total"):
            errs.append("%s %s ends in _total" % (f["type"], name))
        if BAD_UNITS.search(name):
            errs.append("%s: not a base unit (seconds, bytes)" % name)
        if f["samples"] == 0:
            errs.append("family %s has no sample" % name)
    hist = {}
    for name, labels, value, fam, no in samples:
        t = fams[fam]["type"]
        if t in ("counter", "histogram") and not value >= 0:
            errs.append("line %d: %s %s is %r, not >= 0"
                        % (no, t, name, value))
        if t != "histogram":
            if "le" in labels and t != "histogram":
                pass
            continue
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        h = hist.setdefault((fam, rest), {"b": [], "sum": None,
                                          "count": None, "line": no})
        if name == fam + "_bucket":
            if "le" not in labels:
                errs.append("line %d: %s without le" % (no, name))
                continue
            try:
                le = gofloat(labels["le"])
            except ValueError:
                errs.append("line %d: le=%r is no float" % (no, labels["le"]))
                continue
            h["b"].append((le, value, no))
        elif "le" in labels:
            errs.append("line %d: %s with an le label" % (no, name))
        elif name == fam + "_sum":
            h["sum"] = value
        else:
            h["count"] = value
    for (fam, rest), h in hist.items():
        what = "histogram %s%s" % (fam, dict(rest) if rest else "")
        b = h["b"]
        if not b:
            errs.append("%s: no bucket" % what)
            continue
        for (l1, v1, n1), (l2, v2, n2) in zip(b, b[1:]):
            if not l2 > l1:
                errs.append("%s: le %s after %s (line %d): not ascending"
                            % (what, l2, l1, n2))
            if v2 < v1:
                errs.append("%s: bucket le=%s (%s) below le=%s (%s): not "
                            "cumulative" % (what, l2, v2, l1, v1))
        if not math.isinf(b[-1][0]) or b[-1][0] < 0:
            errs.append("%s: the last bucket is not le=\"+Inf\"" % what)
        if h["sum"] is None:
            errs.append("%s: no _sum" % what)
        if h["count"] is None:
            errs.append("%s: no _count" % what)
        elif h["count"] != b[-1][1]:
            errs.append("%s: _count %s is not the +Inf bucket %s"
                        % (what, h["count"], b[-1][1]))
    return errs


def monotonic(prev, cur):
    """Counters (and histogram parts) of prev that went down or vanished."""
    errs = []
    pf, ps, _ = prev
    cf, cs, _ = cur
    now = {(n, tuple(sorted(l.items()))): v for n, l, v, f, no in cs}
    for name, labels, value, fam, no in ps:
        if pf[fam]["type"] not in ("counter", "histogram"):
            continue
        key = (name, tuple(sorted(labels.items())))
        if key not in now:
            errs.append("%s%s: in the earlier scrape, not in this one"
                        % (name, labels))
        elif now[key] < value:
            errs.append("%s%s went down: %s -> %s"
                        % (name, labels, value, now[key]))
    return errs


def check_text(text, prev_text=None):
    cur = parse(text)
    errs = cur[2] + check_semantics(cur[0], cur[1])
    if prev_text is not None:
        prev = parse(prev_text)
        errs += ["earlier scrape: " + e for e in prev[2]]
        errs += monotonic(prev, cur)
    return errs


SELFTEST_GOOD = """# HELP a_total Things.
# TYPE a_total counter
a_total{x="1"} 3
a_total{x="q\\"\\\\\\n"} 0
# HELP g A gauge \\\\ with \\n escapes.
# TYPE g gauge
g -1.5e3
g{y="é"} NaN
# comment
# HELP h_seconds Times.
# TYPE h_seconds histogram
h_seconds_bucket{le="0.1"} 1
h_seconds_bucket{le="1"} 2
h_seconds_bucket{le="+Inf"} 3
h_seconds_sum 4.5
h_seconds_count 3
h_seconds_bucket{p="x",le="0.5"} 0
h_seconds_bucket{p="x",le="+Inf"} 0
h_seconds_sum{p="x"} 0
h_seconds_count{p="x"} 0
"""

# each with the words its error must contain
SELFTEST_BAD = [
    ("no TYPE", "x_total 1\n", "no HELP and TYPE"),
    ("TYPE after sample", "# HELP x_total h\nx_total 1\n"
     "# TYPE x_total counter\n", "after its samples"),
    ("two TYPEs", "# HELP x_total h\n# TYPE x_total counter\n"
     "# TYPE x_total counter\nx_total 1\n", "second TYPE"),
    ("family twice", "# HELP a h\n# TYPE a gauge\na 1\n# HELP b h\n"
     "# TYPE b gauge\nb 1\n# TYPE a gauge\n", "after its samples"),
    ("bad name", "# HELP 1a h\n# TYPE 1a gauge\n", "bad metric name"),
    ("bad label name", "# HELP a h\n# TYPE a gauge\na{1x=\"1\"} 1\n",
     "bad label name"),
    ("reserved label", "# HELP a h\n# TYPE a gauge\na{__x=\"1\"} 1\n",
     "reserved"),
    ("bad escape", "# HELP a h\n# TYPE a gauge\na{x=\"\\t\"} 1\n",
     "bad escape"),
    ("raw quote", "# HELP a h\n# TYPE a gauge\na{x=\"a\"b\"} 1\n",
     "expected , or }"),
    ("label twice", "# HELP a h\n# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n",
     "twice"),
    ("series twice", "# HELP a h\n# TYPE a gauge\na 1\na 2\n", "twice"),
    ("bad value", "# HELP a h\n# TYPE a gauge\na one\n", "bad value"),
    ("no final LF", "# HELP a h\n# TYPE a gauge\na 1", "LF"),
    ("counter name", "# HELP a h\n# TYPE a counter\na 1\n", "_total"),
    ("negative counter", "# HELP a_total h\n# TYPE a_total counter\n"
     "a_total -1\n", ">= 0"),
    ("unit", "# HELP a_milliseconds h\n# TYPE a_milliseconds gauge\n"
     "a_milliseconds 1\n", "base unit"),
    ("le not ascending", "# HELP h h\n# TYPE h histogram\n"
     "h_bucket{le=\"1\"} 1\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
     "h_sum 1\nh_count 1\n", "not ascending"),
    ("no +Inf", "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
     "h_sum 1\nh_count 1\n", "+Inf"),
    ("not cumulative", "# HELP h h\n# TYPE h histogram\n"
     "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
     "not cumulative"),
    ("no _sum", "# HELP h h\n# TYPE h histogram\n"
     "h_bucket{le=\"+Inf\"} 1\nh_count 1\n", "no _sum"),
    ("count not +Inf", "# HELP h h\n# TYPE h histogram\n"
     "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n", "not the +Inf"),
    ("bucket without le", "# HELP h h\n# TYPE h histogram\nh_bucket 1\n",
     "without le"),
    ("foreign sample", "# HELP a h\n# TYPE a gauge\nb 1\n",
     "not part of family"),
    ("not UTF-8", b"# HELP a h\n# TYPE a gauge\na{x=\"\xff\"} 1\n", "UTF-8"),
]


def selftest():
    bad = check_text(SELFTEST_GOOD)
    out = []
    if bad:
        out.append("good text refused: %s" % bad)
    for what, text, words in SELFTEST_BAD:
        errs = check_text(text)
        if not any(words in e for e in errs):
            out.append("%s: not caught (want %r, got %s)" % (what, words,
                                                             errs))
    prev = "# HELP a_total h\n# TYPE a_total counter\na_total 5\n"
    if not any("went down" in e for e in
               check_text(prev.replace("5", "4"), prev)):
        out.append("a counter going down: not caught")
    if not any("not in this one" in e for e in check_text(
            "# HELP b_total h\n# TYPE b_total counter\nb_total 5\n", prev)):
        out.append("a counter gone: not caught")
    if check_text(prev.replace("5", "6"), prev):
        out.append("a counter going up refused")
    for line in out:
        print(line)
    print("selftest: %d bad texts, %s" % (len(SELFTEST_BAD),
                                          "FAILED" if out else "all caught"))
    return 1 if out else 0


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main(argv):
    if len(argv) >= 2 and argv[1] == "selftest":
        return selftest()
    if len(argv) in (3, 4) and argv[1] == "check":
        errs = check_text(read(argv[2]),
                          read(argv[3]) if len(argv) == 4 else None)
        for e in errs:
            print(e)
        return 1 if errs else 0
    if len(argv) >= 4 and argv[1] == "value":
        want = dict(a.split("=", 1) for a in argv[4:])
        _, samples, _ = parse(read(argv[2]))
        vals = [v for n, l, v, f, no in samples if n == argv[3] and
                all(l.get(k) == x for k, x in want.items())]
        if not vals:
            return 1
        s = sum(vals)
        print(int(s) if s == int(s) else repr(s))
        return 0
    if len(argv) == 3 and argv[1] == "families":
        fams, _, _ = parse(read(argv[2]))
        for name, f in sorted(fams.items(), key=lambda x: x[1]["order"]):
            print(name, f["type"])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
