#!/usr/bin/env python3
"""Check and read porter's HTML status page, for the tests.

    htmlcheck.py FILE

Parses FILE as the HTML5 parsing algorithm does (html5lib, the Debian
package python3-html5lib; when the python running this has no html5lib,
it runs itself again with /usr/bin/python3, where that package puts it)
and prints one JSON object:

  errors      html5lib's parse errors, "LINE:COL code": an HTML5 document
              has none (a stray or missing end tag, a bad character
              reference, an attribute given twice, text before the
              doctype, ...)
  doctype     the doctype's name ("html")
  dup_ids     id values used more than once
  bad_rows    "TABLE row N: K cells, header H": rows of a table with a
              header whose cell count differs from the header's
  outside     every src, href, srcset, poster, data, formaction and
              action attribute value and every url( ... ) in a style
              that leaves the page's own origin (anything but a path)
  scripts     [nonce, text length] of each <script> (and "src" if any)
  styles      [nonce, text length] of each <style>
  inline_style  how many elements carry a style attribute
  handlers    attributes named on* (event handlers)
  values      {data-v path: text} of the summary's cells
  hidden      ids of elements with the hidden attribute
  tables      {data-rows name: {"cols": [data-k...], "rows":
              [{"class": tr class, "cells": {data-k: text}, "tdclass":
              [each cell's class], "tdtext": [each cell's text]}...]}}
  forms       [{"action", "method", "button", "row"}], row being the
              data-k "server" cell's row index in its table
  refresh     the content of a meta http-equiv=refresh, or null
"""
import json
import os
import re
import sys

try:
    import html5lib
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists(
            "/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.stderr.write("htmlcheck.py: no html5lib (apt-get install "
                     "python3-html5lib)\n")
    sys.exit(2)


def text_of(e):
    return "".join(e.itertext())


def main():
    data = open(sys.argv[1], "rb").read()
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    doc = parser.parse(data)
    out = {"errors": [], "doctype": None, "dup_ids": [], "bad_rows": [],
           "outside": [], "scripts": [], "styles": [], "inline_style": 0,
           "handlers": [], "values": {}, "hidden": [], "tables": {},
           "forms": [], "refresh": None}
    for pos, code, _ in parser.errors:
        out["errors"].append("%s:%s %s" % (pos[0], pos[1], code))
    m = re.match(rb"\s*<!DOCTYPE\s+(\w+)\s*>", data, re.I)
    out["doctype"] = m.group(1).decode() if m else None

    ids = {}
    for e in doc.iter():
        if not isinstance(e.tag, str):
            continue
        a = e.attrib
        if "id" in a:
            ids[a["id"]] = ids.get(a["id"], 0) + 1
        for k, v in a.items():
            if k in ("src", "href", "srcset", "poster", "data",
                     "formaction", "action"):
                if not v.startswith("/") or v.startswith("//"):
                    out["outside"].append("%s=%s" % (k, v))
            if k.startswith("on"):
                out["handlers"].append(k)
        if "style" in a:
            out["inline_style"] += 1
        if "hidden" in a and "id" in a:
            out["hidden"].append(a["id"])
        if e.tag == "script":
            out["scripts"].append([a.get("nonce"), len(text_of(e))] +
                                  (["src"] if "src" in a else []))
        if e.tag == "style":
            out["styles"].append([a.get("nonce"), len(text_of(e))])
            for u in re.findall(r"url\(([^)]*)\)", text_of(e)):
                out["outside"].append("url(%s)" % u)
        if e.tag == "link":
            out["outside"].append("link=%s" % a.get("href"))
        if e.tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            out["refresh"] = a.get("content")
        if "data-v" in a:
            out["values"][a["data-v"]] = text_of(e)
    out["dup_ids"] = sorted(k for k, n in ids.items() if n > 1)

    for table in doc.iter("table"):
        head = table.find("thead")
        body = table.find("tbody")
        if head is None or body is None:
            continue
        hrow = head.find("tr")
        cols = [th.get("data-k") for th in hrow.findall("th")]
        name = body.get("data-rows") or table.get("id") or "?"
        rows = []
        for i, tr in enumerate(body.findall("tr")):
            cells = tr.findall("td")
            if len(cells) != len(cols):
                out["bad_rows"].append("%s row %d: %d cells, header %d" % (
                    name, i, len(cells), len(cols)))
            row = {"class": tr.get("class", ""), "cells": {},
                   "tdclass": [td.get("class", "") for td in cells],
                   "tdtext": [text_of(td) for td in cells]}
            for k, td in zip(cols, cells):
                row["cells"][k] = text_of(td)
                for f in td.iter("form"):
                    b = f.find("button")
                    out["forms"].append({
                        "action": f.get("action"), "method": f.get("method"),
                        "button": text_of(b) if b is not None else None,
                        "row": i})
            rows.append(row)
        out["tables"][name] = {"cols": cols, "rows": rows}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
