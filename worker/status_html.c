#include "config.h"

#include <sys/random.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/handoff.h"
#include "lib/outbuf.h"
#include "lib/mix.h"
#include "shared/counters.h"
#include "shared/health.h"
#include "shared/rate.h"
#include "shared/scoreboard.h"
#include "shared/store.h"
#include "worker/state.h"
#include "worker/status.h"
#include "worker/status_html.h"

/*
 * Room kept for what closes the page (the last table, the truncation
 * note, </body></html>), so a page cut short is still a whole document.
 */
#define HTML_RESERVE	512
/* Without JavaScript the page reloads itself this often (s). */
#define HTML_REFRESH	10

/*
 * The style and the script, sent inline (the policy allows nothing
 * else). The script fills the tables the server rendered from
 * ?format=json every 2 s: cells name their JSON field (data-v="a.b" on
 * single values; data-k, data-f, data-c on a table's header cells for its
 * rows, one object of the array named by its tbody's data-rows per row)
 * and a format that it applies as fmt_*() below do, so both render alike.
 * Formats: s text, n number, b bytes, d seconds as a duration, f1 and f2
 * decimals, pct a ratio, yn yes/no, st a state (a class of its own), act
 * the drain or undrain form. It writes only through textContent and
 * attributes, never markup, so nothing a client sent can become HTML.
 */

static const char page_css[] =
    ":root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--mut:#656d76;"
    "--line:#d0d7de;--head:#f6f8fa;--up:#1a7f37;--down:#cf222e;"
    "--drain:#9a6700;--busy:#0969da;--warnbg:#fff8c5}\n"
    "@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;"
    "--mut:#8d96a0;--line:#30363d;--head:#161b22;--up:#3fb950;--down:#f85149;"
    "--drain:#d29922;--busy:#58a6ff;--warnbg:#3b2e00}}\n"
    "body{margin:0;padding:.8em 1.5em 2em;background:var(--bg);"
    "color:var(--fg);font:14px/1.4 system-ui,-apple-system,\"Segoe UI\","
    "sans-serif}\n"
    "h1{font-size:1.5em;margin:.2em 0}\n"
    "h2{font-size:1.1em;margin:1.5em 0 .5em;padding-bottom:.2em;"
    "border-bottom:1px solid var(--line)}\n"
    "h3{font-size:.95em;margin:0 0 .3em;color:var(--mut)}\n"
    "p{margin:.3em 0}\n"
    ".note{color:var(--mut)}\n"
    ".warn{background:var(--warnbg);padding:.2em .5em}\n"
    ".cols{display:flex;flex-wrap:wrap;gap:.5em 3em;align-items:flex-start}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:.2em .5em;text-align:left;white-space:nowrap;"
    "vertical-align:top}\n"
    ".kv th{font-weight:normal;color:var(--mut);padding-left:0}\n"
    ".kv td{font-weight:600}\n"
    ".kv.num td{text-align:right}\n"
    ".grid th,.grid td{border-bottom:1px solid var(--line)}\n"
    ".grid thead th{background:var(--head);font-weight:600;font-size:.88em;"
    "white-space:normal;vertical-align:bottom}\n"
    ".n{text-align:right}\n"
    ".mono,.req{font-family:ui-monospace,\"SFMono-Regular\",Menlo,Consolas,"
    "monospace;font-size:.92em}\n"
    ".req{white-space:normal;overflow-wrap:anywhere;min-width:16em}\n"
    ".st-up{color:var(--up);font-weight:600}\n"
    ".st-down{color:var(--down);font-weight:600}\n"
    ".st-draining{color:var(--drain);font-weight:600}\n"
    "tr.down td{background:color-mix(in srgb,var(--down) 8%,transparent)}\n"
    "tr.draining td{background:color-mix(in srgb,var(--drain) 8%,"
    "transparent)}\n"
    "tr.idle td,tr.starting td{color:var(--mut)}\n"
    ".st-reading,.st-upstream,.st-writing,.st-tunnel{color:var(--busy);"
    "font-weight:600}\n"
    ".st-keepalive,.st-graceful{color:var(--drain)}\n"
    "form{margin:0}\n"
    "button{font:inherit;font-size:.9em;padding:0 .8em;cursor:pointer;"
    "border:1px solid var(--line);border-radius:4px;background:var(--head);"
    "color:var(--fg)}\n"
    "button.drain:hover{border-color:var(--drain)}\n"
    "button.undrain{border-color:var(--up)}\n";

static const char page_js[] =
    "'use strict';\n"
    "(function () {\n"
    "  var base = location.pathname, every = 2000;\n"
    "  var U = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];\n"
    "  var NUM = { n: 1, b: 1, d: 1, f1: 1, f2: 1, pct: 1 };\n"
    "  function dur(s) {\n"
    "    if (s < 60) return s + ' s';\n"
    "    if (s < 3600) return Math.floor(s / 60) + ' min ' + s % 60 + ' s';\n"
    "    if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor(s % "
    "3600 / 60) + ' min';\n"
    "    return Math.floor(s / 86400) + ' d ' + Math.floor(s % 86400 / 3600) "
    "+ ' h';\n"
    "  }\n"
    "  function fmt(v, f) {\n"
    "    var i = 0;\n"
    "    if (v === null || v === undefined) return '-';\n"
    "    switch (f) {\n"
    "    case 'b':\n"
    "      if (v < 1024) return v + ' B';\n"
    "      while (v >= 1024 && i < 5) { v /= 1024; i++; }\n"
    "      return v.toFixed(1) + ' ' + U[i];\n"
    "    case 'd': return dur(v);\n"
    "    case 'f1': return v.toFixed(1);\n"
    "    case 'f2': return v.toFixed(2);\n"
    "    case 'pct': return (v * 100).toFixed(1) + ' %';\n"
    "    case 'yn': return v ? 'yes' : 'no';\n"
    "    }\n"
    "    return String(v).replace(/[\\u0000-\\u001f\\u007f-\\u009f]/g, "
    "'\\ufffd');\n"
    "  }\n"
    "  function get(d, path) {\n"
    "    return path.split('.').reduce(function (o, k) {\n"
    "      return o === null || o === undefined ? o : o[k];\n"
    "    }, d);\n"
    "  }\n"
    "  function text(el, t) {\n"
    "    if (el.textContent !== t) el.textContent = t;\n"
    "  }\n"
    "  function derive(d) {\n"
    "    var c = d.cache;\n"
    "    (d.backends || []).forEach(function (b) {\n"
    "      var i = b.server.indexOf('/');\n"
    "      b.pool = b.server.slice(0, i);\n"
    "      b.name = b.server.slice(i + 1);\n"
    "    });\n"
    "    if (c) {\n"
    "      c.chunks_used = c.chunks_total - c.chunks_free;\n"
    "      c.hits = c.hit_fresh + c.hit_stale + c.hit_revalidated + "
    "c.hit_collapsed;\n"
    "      c.lookups = c.hits + c.hit_for_pass + c.miss_uri + c.miss_vary +\n"
    "          c.miss_stale + c.miss_request;\n"
    "      c.hit_ratio = c.lookups > 0 ? c.hits / c.lookups : null;\n"
    "    }\n"
    "  }\n"
    "  function act(td, o) {\n"
    "    var name = o.draining ? 'undrain' : 'drain';\n"
    "    var url = base + (base.slice(-1) === '/' ? '' : '/') + name +\n"
    "        '?server=' + encodeURIComponent(o.server);\n"
    "    var f = td.firstElementChild, b;\n"
    "    if (!f || f.tagName !== 'FORM') {\n"
    "      td.textContent = '';\n"
    "      f = document.createElement('form');\n"
    "      f.setAttribute('method', 'post');\n"
    "      b = document.createElement('button');\n"
    "      b.type = 'submit';\n"
    "      f.appendChild(b);\n"
    "      td.appendChild(f);\n"
    "    }\n"
    "    b = f.firstElementChild;\n"
    "    if (f.getAttribute('action') !== url) f.setAttribute('action', url);\n"
    "    if (b.className !== name) b.className = name;\n"
    "    text(b, name);\n"
    "  }\n"
    "  function cell(td, o, c) {\n"
    "    var v = o[c.k], cls = c.c;\n"
    "    if (NUM[c.f]) cls += ' n';\n"
    "    if (c.f === 'st') cls += ' st-' + v;\n"
    "    cls = cls.trim();\n"
    "    if (td.className !== cls) td.className = cls;\n"
    "    if (c.f === 'act') return act(td, o);\n"
    "    text(td, fmt(v, c.f));\n"
    "  }\n"
    "  function rows(tb, list) {\n"
    "    var cols = [].map.call(tb.parentNode.tHead.rows[0].cells, function "
    "(th) {\n"
    "      return { k: th.dataset.k, f: th.dataset.f || 's', c: th.dataset.c "
    "|| '' };\n"
    "    });\n"
    "    while (tb.rows.length > list.length) tb.deleteRow(-1);\n"
    "    list.forEach(function (o, i) {\n"
    "      var tr = tb.rows[i] || tb.insertRow(-1);\n"
    "      if (tr.className !== o.state) tr.className = o.state;\n"
    "      while (tr.cells.length > cols.length) tr.deleteCell(-1);\n"
    "      cols.forEach(function (c, j) { cell(tr.cells[j] || "
    "tr.insertCell(-1), o, c); });\n"
    "    });\n"
    "  }\n"
    "  function show(d) {\n"
    "    var w = document.getElementById('waiter');\n"
    "    var c = document.getElementById('cache');\n"
    "    derive(d);\n"
    "    document.querySelectorAll('[data-v]').forEach(function (el) {\n"
    "      text(el, fmt(get(d, el.dataset.v), el.dataset.f || 's'));\n"
    "    });\n"
    "    document.querySelectorAll('tbody[data-rows]').forEach(function (tb) "
    "{\n"
    "      rows(tb, d[tb.dataset.rows] || []);\n"
    "    });\n"
    "    if (w) w.hidden = !(d.waiter && d.waiter.max_conns > 0);\n"
    "    if (c) c.hidden = !d.cache;\n"
    "    document.getElementById('truncated').hidden = !d.truncated;\n"
    "    live('Live: updated ' + new Date().toLocaleTimeString() + ', every "
    "' +\n"
    "        every / 1000 + ' s.', 'note');\n"
    "  }\n"
    "  function live(t, cls) {\n"
    "    var el = document.getElementById('live');\n"
    "    text(el, t);\n"
    "    el.className = cls;\n"
    "  }\n"
    "  function tick() {\n"
    "    if (document.hidden) {\n"
    "      setTimeout(tick, every);\n"
    "      return;\n"
    "    }\n"
    "    fetch(base + '?format=json', { cache: 'no-store' }).then(function "
    "(r) {\n"
    "      if (!r.ok) throw new Error('HTTP ' + r.status);\n"
    "      return r.json();\n"
    "    }).then(show).catch(function (e) {\n"
    "      live('Not updated: ' + e.message + ' (trying again).', 'warn');\n"
    "    }).then(function () { setTimeout(tick, every); });\n"
    "  }\n"
    "  document.addEventListener('DOMContentLoaded', tick);\n"
    "})();\n";

/* Formats, as the script names them (data-f). */
enum fmt { F_S, F_N, F_B, F_D, F_F1, F_F2, F_PCT, F_YN, F_ST, F_ACT };
static const char *const fmt_names[] = {
	"s", "n", "b", "d", "f1", "f2", "pct", "yn", "st", "act"
};
/* Right-aligned: the script's NUM */
#define FMT_NUMERIC(f)	((f) >= F_N && (f) <= F_PCT)

struct hp {
	char	*p;
	size_t	 len;
	size_t	 cap;		/* for entries: max - HTML_RESERVE */
	size_t	 max;
	int	 full;		/* an entry did not fit: the rest is left out */
};

/* Append, or leave the page as it was and mark it full. */
static void __attribute__((format(printf, 2, 3)))
hput(struct hp *hp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	outbuf_vprintf_at(hp->p, &hp->len, hp->cap, &hp->full, fmt, ap);
	va_end(ap);
}

static void
hmem(struct hp *hp, const char *s, size_t n)
{
	if (hp->full || hp->len + n >= hp->cap) {
		hp->full = 1;
		return;
	}
	memcpy(hp->p + hp->len, s, n);
	hp->len += n;
	hp->p[hp->len] = '\0';
}

/* Fixed text that closes the page: it may use the reserve. */
static void
hframe(struct hp *hp, const char *s)
{
	size_t n = strlen(s);

	if (hp->len + n < hp->max) {
		memcpy(hp->p + hp->len, s, n + 1);
		hp->len += n;
	}
}

/* An entry is whole or absent: undo a partly written one. */
static int
hdone(struct hp *hp, size_t mark)
{
	if (!hp->full)
		return (1);
	hp->len = mark;
	hp->p[mark] = '\0';
	return (0);
}

/*
 * s (at most n bytes, or to its NUL: scoreboard text may be torn, so it
 * is not trusted to be terminated) as HTML text or attribute value. Bytes
 * are taken one by one as the JSON form takes them (as U+0000..U+00FF),
 * so the page says what the JSON says whatever a client sent, and stays
 * valid UTF-8: the five HTML specials as references, control characters
 * (C0, DEL, C1: HTML forbids their references) as U+FFFD, the others
 * above 0x7f as numeric references.
 */
static void
hesc(struct hp *hp, const char *s, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n && s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];
		char ref[16];

		if (ch >= 0x20 && ch < 0x7f && ch != '&' && ch != '<' &&
		    ch != '>' && ch != '"' && ch != '\'')
			continue;
		hmem(hp, s + run, i - run);
		run = i + 1;
		if (ch == '&')
			hmem(hp, "&amp;", 5);
		else if (ch == '<')
			hmem(hp, "&lt;", 4);
		else if (ch == '>')
			hmem(hp, "&gt;", 4);
		else if (ch == '"')
			hmem(hp, "&quot;", 6);
		else if (ch == '\'')
			hmem(hp, "&#39;", 5);
		else if (ch < 0xa0)
			hmem(hp, "&#xFFFD;", 8);
		else {
			(void)snprintf(ref, sizeof(ref), "&#x%X;", ch);
			hmem(hp, ref, strlen(ref));
		}
	}
	hmem(hp, s + run, i - run);
}

static void
hstr(struct hp *hp, const char *s)
{
	hesc(hp, s, strlen(s));
}

/* s percent-encoded as the script's encodeURIComponent() does it. */
static void
hurl(struct hp *hp, const char *s)
{
	static const char keep[] = "-_.!~*'()";
	char pct[4];

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9'))
			hmem(hp, s, 1);
		else if (ch == '\'')
			hmem(hp, "&#39;", 5);
		else if (strchr(keep, ch) != NULL)
			hmem(hp, s, 1);
		else {
			(void)snprintf(pct, sizeof(pct), "%%%02X", ch);
			hmem(hp, pct, 3);
		}
	}
}

/* ---- values, formatted as the script's fmt() does ---- */

static const char *
fmt_dur(char *dst, size_t cap, uint64_t s)
{
	if (s < 60)
		(void)snprintf(dst, cap, "%llu s", (unsigned long long)s);
	else if (s < 3600)
		(void)snprintf(dst, cap, "%llu min %llu s",
		    (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else if (s < 86400)
		(void)snprintf(dst, cap, "%llu h %llu min",
		    (unsigned long long)(s / 3600),
		    (unsigned long long)(s % 3600 / 60));
	else
		(void)snprintf(dst, cap, "%llu d %llu h",
		    (unsigned long long)(s / 86400),
		    (unsigned long long)(s % 86400 / 3600));
	return (dst);
}

static const char *
fmt_u64(char *dst, size_t cap, enum fmt f, uint64_t v)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB"
	};
	double d = (double)v;
	int i = 0;

	switch (f) {
	case F_B:
		if (v < 1024) {
			(void)snprintf(dst, cap, "%llu B",
			    (unsigned long long)v);
			break;
		}
		while (d >= 1024.0 && i < 5) {
			d /= 1024.0;
			i++;
		}
		(void)snprintf(dst, cap, "%.1f %s", d, units[i]);
		break;
	case F_D:
		return (fmt_dur(dst, cap, v));
	case F_YN:
		(void)snprintf(dst, cap, "%s", v ? "yes" : "no");
		break;
	default:
		(void)snprintf(dst, cap, "%llu", (unsigned long long)v);
	}
	return (dst);
}

static const char *
fmt_dbl(char *dst, size_t cap, enum fmt f, double v)
{
	if (f == F_PCT)
		(void)snprintf(dst, cap, "%.1f %%", v * 100.0);
	else
		(void)snprintf(dst, cap, f == F_F1 ? "%.1f" : "%.2f", v);
	return (dst);
}

/* A cell's class attribute: the column's, "n" for numbers, "st-X". */
static void
td_open(struct hp *hp, const char *cls, enum fmt f, const char *state)
{
	int any = cls != NULL && cls[0] != '\0';

	hput(hp, "<td");
	if (!any && !FMT_NUMERIC(f) && f != F_ST) {
		hput(hp, ">");
		return;
	}
	hput(hp, " class=\"%s%s%s", any ? cls : "",
	    any && (FMT_NUMERIC(f) || f == F_ST) ? " " : "",
	    FMT_NUMERIC(f) ? "n" : f == F_ST ? "st-" : "");
	if (f == F_ST)
		hstr(hp, state);
	hput(hp, "\">");
}

static void
td_u64(struct hp *hp, enum fmt f, uint64_t v)
{
	char b[48];

	td_open(hp, NULL, f, NULL);
	hput(hp, "%s</td>", fmt_u64(b, sizeof(b), f, v));
}

static void
td_dbl(struct hp *hp, enum fmt f, double v)
{
	char b[48];

	td_open(hp, NULL, f, NULL);
	hput(hp, "%s</td>", fmt_dbl(b, sizeof(b), f, v));
}

/* A signed count (in flight: transiently below 0 is shown as is). */
static void
td_int(struct hp *hp, long long v)
{
	td_open(hp, NULL, F_N, NULL);
	hput(hp, "%lld</td>", v);
}

/* A value the JSON has as null. */
static void
td_null(struct hp *hp, enum fmt f)
{
	td_open(hp, NULL, f, NULL);
	hput(hp, "-</td>");
}

static void
td_text(struct hp *hp, const char *cls, const char *s, size_t n)
{
	td_open(hp, cls, F_S, NULL);
	hesc(hp, s, n);
	hput(hp, "</td>");
}

static void
td_state(struct hp *hp, const char *state)
{
	td_open(hp, NULL, F_ST, state);
	hstr(hp, state);
	hput(hp, "</td>");
}

/* A column of a table the script fills: the JSON field and its format. */
struct col {
	const char	*k;
	const char	*label;
	enum fmt	 f;
	const char	*c;		/* its cells' class, or NULL */
	const char	*title;		/* NULL: none */
};

static void
th_col(struct hp *hp, const struct col *c)
{
	hput(hp, "<th data-k=\"%s\"", c->k);
	if (c->f != F_S)
		hput(hp, " data-f=\"%s\"", fmt_names[c->f]);
	if (c->c != NULL)
		hput(hp, " data-c=\"%s\"", c->c);
	if (c->title != NULL) {
		hput(hp, " title=\"");
		hstr(hp, c->title);
		hput(hp, "\"");
	}
	if (FMT_NUMERIC(c->f))
		hput(hp, " class=\"n\"");
	hput(hp, ">%s</th>", c->label);
}

/* One row of a key-value table: label, then the value by its path. */
static void
kv_open(struct hp *hp, const char *label, const char *title,
    const char *path, enum fmt f)
{
	hput(hp, "<tr><th");
	if (title != NULL) {
		hput(hp, " title=\"");
		hstr(hp, title);
		hput(hp, "\"");
	}
	hput(hp, ">");
	hstr(hp, label);
	hput(hp, "</th><td data-v=\"%s\"", path);
	if (f != F_S)
		hput(hp, " data-f=\"%s\"", fmt_names[f]);
	hput(hp, ">");
}

static void
kv_u64(struct hp *hp, const char *label, const char *title,
    const char *path, enum fmt f, uint64_t v)
{
	char b[48];

	kv_open(hp, label, title, path, f);
	hput(hp, "%s</td></tr>\n", fmt_u64(b, sizeof(b), f, v));
}

static void
kv_dbl(struct hp *hp, const char *label, const char *path, enum fmt f,
    double v, int null)
{
	char b[48];

	kv_open(hp, label, NULL, path, f);
	hput(hp, "%s</td></tr>\n", null ? "-" : fmt_dbl(b, sizeof(b), f, v));
}

static void
kv_text(struct hp *hp, const char *label, const char *path, const char *s)
{
	kv_open(hp, label, NULL, path, F_S);
	hstr(hp, s);
	hput(hp, "</td></tr>\n");
}

/* A counter's label: its name, with spaces for underscores. */
static const char *
label_of(const char *name, char *dst, size_t cap)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < cap; i++)
		dst[i] = name[i] == '_' ? ' ' : name[i];
	dst[i] = '\0';
	return (dst);
}

/* ---- the sections ---- */

static void
put_summary(struct hp *hp, const struct worker *w)
{
	const struct shm *shm = w->shm;
	const struct rate_area *ra = &shm->hdr->rate;
	long up = (long)(time(NULL) - shm->hdr->started);
	char path[4096], b[64];
	uint64_t v[CTR_N];
	int id;

	(void)ctr_totals(shm, v);
	status_config_path(w->cfg, path, sizeof(path));
	hput(hp, "<section id=\"summary\"><h2>Summary</h2>\n"
	    "<div class=\"cols\">\n<table class=\"kv\" id=\"service\">"
	    "<tbody>\n");
	kv_text(hp, "Version", "version", PACKAGE_VERSION);
	kv_u64(hp, "Master PID", NULL, "master_pid", F_S,
	    (uint64_t)getppid());
	kv_u64(hp, "Uptime", NULL, "uptime_s", F_D,
	    (uint64_t)(up > 0 ? up : 0));
	kv_u64(hp, "Generation", "Configurations loaded: 1 at start, one "
	    "more at each reload", "generation", F_S,
	    atomic_load(&shm->hdr->generation));
	kv_text(hp, "Config file", "config", path);
	hput(hp, "</tbody></table>\n<table class=\"kv num\" id=\"rates\">"
	    "<tbody>\n");
	kv_dbl(hp, "Requests/s, 1 min", "rps_1m", F_F2, rate_per_s(ra, 60), 0);
	kv_dbl(hp, "Requests/s, 5 min", "rps_5m", F_F2, rate_per_s(ra, 300),
	    0);
	kv_dbl(hp, "Requests/s, 15 min", "rps_15m", F_F2,
	    rate_per_s(ra, 900), 0);
	hput(hp, "</tbody></table>\n<table class=\"kv num\" id=\"totals\">"
	    "<tbody>\n");
	for (id = 0; id < CTR_N; id++) {
		char path2[64];

		if (id == (CTR_N + 1) / 2)	/* two columns */
			hput(hp, "</tbody></table>\n<table class=\"kv num\">"
			    "<tbody>\n");
		(void)snprintf(path2, sizeof(path2), "totals.%s",
		    ctr_defs[id].name);
		kv_u64(hp, label_of(ctr_defs[id].name, b, sizeof(b)),
		    ctr_defs[id].help, path2,
		    strncmp(ctr_defs[id].name, "bytes", 5) == 0 ? F_B : F_N,
		    v[id]);
	}
	hput(hp, "</tbody></table>\n</div></section>\n");
}

static const struct col backend_cols[] = {
	{ "pool", "Pool", F_S, NULL, NULL },
	{ "name", "Server", F_S, "mono", "As the configuration names it" },
	{ "address", "Address now", F_S, "mono",
	    "Where requests go now: the address tried first" },
	{ "state", "State", F_ST, NULL, NULL },
	{ "server", "Action", F_ACT, NULL,
	    "POSTs to the drain or undrain URL" },
	{ "weight", "Weight", F_N, NULL, NULL },
	{ "backup", "Backup", F_YN, NULL, NULL },
	{ "active", "In flight", F_N, NULL, "Requests in flight now" },
	{ "max_conns", "Max conns", F_N, NULL, "0: no cap" },
	{ "requests", "Requests", F_N, NULL, NULL },
	{ "failures", "Failures", F_N, NULL, "Passive failures" },
	{ "timeouts", "Timeouts", F_N, NULL, NULL },
	{ "checks_failed", "Failed checks", F_N, NULL, NULL },
	{ "latency_ms", "Latency ms", F_F1, NULL,
	    "Moving average of response-head latency" },
	{ "last_change_s", "State for", F_D, NULL,
	    "Since the last state change" },
	{ "last_check_s", "Last check", F_D, NULL,
	    "Since the last active check" },
};

static void
put_action(struct hp *hp, const char *base, const char *server,
    int draining)
{
	const char *name = draining ? "undrain" : "drain";
	size_t n = strlen(base);

	hput(hp, "<td><form method=\"post\" action=\"");
	hstr(hp, base);
	hput(hp, "%s%s?server=", n > 0 && base[n - 1] == '/' ? "" : "/", name);
	hurl(hp, server);
	hput(hp, "\"><button type=\"submit\" class=\"%s\">%s</button></form>"
	    "</td>", name, name);
}

static void
put_backends(struct hp *hp, const struct worker *w, const char *base)
{
	const struct cfg *cfg = w->cfg;
	int64_t now = hc_now_ms();
	char name[2 * sizeof(((struct cfg_addr *)0)->text)];
	char using[ADDR_TEXT];
	struct addrlist scratch;
	size_t c;
	size_t start = hp->len;
	int i, k, cur;

	hput(hp, "<section id=\"backends\"><h2>Backends</h2>\n"
	    "<div class=\"scroll\"><table class=\"grid\"><thead><tr>");
	for (c = 0; c < sizeof(backend_cols) / sizeof(backend_cols[0]); c++)
		th_col(hp, &backend_cols[c]);
	hput(hp, "</tr></thead>\n<tbody data-rows=\"backends\">\n");
	if (!hdone(hp, start))
		return;		/* not even its head: no section */
	for (i = 0; i < cfg->npools && !hp->full; i++) {
		const struct cfg_pool *p = &cfg->pools[i];

		for (k = 0; k < p->nservers; k++) {
			const struct cfg_server *s = &p->servers[k];
			uint32_t row = worker_row(w, p, k);
			const struct hc_row *r = hc_row(w->shm, row);
			int64_t lc = atomic_load(&r->last_change_ms);
			int64_t lk = atomic_load(&r->last_check_ms);
			const char *state = hc_state_name(w->shm, row);
			size_t mark = hp->len;

			(void)snprintf(name, sizeof(name), "%s/%s", p->name,
			    s->addr.text);
			if (srvaddr_list(&r->addr, &scratch, &cur) > 0)
				(void)addr_text((const struct sockaddr *)
				    &scratch.sa[cur], using, sizeof(using));
			else
				(void)snprintf(using, sizeof(using), "-");
			hput(hp, "<tr class=\"");
			hstr(hp, state);
			hput(hp, "\">");
			td_text(hp, NULL, p->name, strlen(p->name));
			td_text(hp, "mono", s->addr.text, sizeof(s->addr.text));
			td_text(hp, "mono", using, sizeof(using));
			td_state(hp, state);
			put_action(hp, base, name, atomic_load(&r->draining));
			td_u64(hp, F_N, (uint64_t)s->weight);
			td_u64(hp, F_YN, (uint64_t)s->backup);
			td_int(hp, atomic_load(&r->active));
			td_u64(hp, F_N, (uint64_t)s->max_conns);
			td_u64(hp, F_N, atomic_load(&r->requests));
			td_u64(hp, F_N, atomic_load(&r->failures));
			td_u64(hp, F_N, atomic_load(&r->timeouts));
			td_u64(hp, F_N, atomic_load(&r->checks_failed));
			td_dbl(hp, F_F1,
			    (double)atomic_load(&r->latency_us) / 1000.0);
			if (lc > 0)
				td_u64(hp, F_D, (uint64_t)((now - lc) / 1000));
			else
				td_null(hp, F_D);
			if (lk > 0)
				td_u64(hp, F_D, (uint64_t)((now - lk) / 1000));
			else
				td_null(hp, F_D);
			hput(hp, "</tr>\n");
			if (!hdone(hp, mark))
				break;
		}
	}
	hframe(hp, "</tbody></table></div></section>\n");
}

/*
 * Served from the cache over all lookups (a hit for pass went to the
 * backend), as the script's derive() counts it; -1: no lookup yet.
 */
static double
hit_ratio(const struct store_stats *s, uint64_t *hits)
{
	uint64_t h = s->c[STORE_C_HIT_FRESH] + s->c[STORE_C_HIT_STALE] +
	    s->c[STORE_C_HIT_REVALIDATED] + s->c[STORE_C_HIT_COLLAPSED];
	uint64_t all = h + s->c[STORE_C_HIT_PASS] + s->c[STORE_C_MISS_URI] +
	    s->c[STORE_C_MISS_VARY] + s->c[STORE_C_MISS_STALE] +
	    s->c[STORE_C_MISS_REQUEST];

	*hits = h;
	return (all > 0 ? (double)h / (double)all : -1.0);
}

/*
 * The purge form (issue 14): POST base/purge with url=, prefix= or tag=
 * (the first filled of tag, prefix, url) and soft; the same Origin check
 * as drain guards it (worker/status.c).
 */
static void
put_purge(struct hp *hp, const struct worker *w, const char *base)
{
	size_t n = strlen(base);

	if (shm_store(w->shm) == NULL)
		return;
	hput(hp, "<section id=\"purge\"><h2>Purge</h2>\n"
	    "<form method=\"post\" action=\"");
	hstr(hp, base);
	hput(hp, "%spurge\">\n", n > 0 && base[n - 1] == '/' ? "" : "/");
	hput(hp, "<p><label>URL <input name=\"url\" size=\"60\" "
	    "placeholder=\"http://host/path?query\"></label></p>\n"
	    "<p><label>or prefix <input name=\"prefix\" size=\"50\" "
	    "placeholder=\"/path/ or http://host/path/\"></label></p>\n"
	    "<p><label>or tag <input name=\"tag\" size=\"30\" "
	    "placeholder=\"Surrogate-Key or Cache-Tag\"></label></p>\n"
	    "<p><label><input type=\"checkbox\" name=\"soft\" value=\"1\">"
	    " soft (mark stale, keep for stale serving)</label> "
	    "<button type=\"submit\" class=\"drain\">purge</button></p>\n"
	    "</form></section>\n");
}

static void
put_cache(struct hp *hp, const struct worker *w)
{
	struct store *st = shm_store(w->shm);
	struct store_stats s;
	uint64_t hits;
	double ratio;
	char path[64], b[64];
	int i;

	if (st == NULL)
		return;
	store_stats(st, &s);
	ratio = hit_ratio(&s, &hits);
	hput(hp, "<section id=\"cache\"><h2>Cache</h2>\n<div class=\"cols\">\n"
	    "<table class=\"kv num\"><tbody>\n");
	kv_dbl(hp, "Hit ratio", "cache.hit_ratio", F_PCT, ratio, ratio < 0);
	kv_u64(hp, "Hits", "Fresh, stale, revalidated and collapsed",
	    "cache.hits", F_N, hits);
	kv_u64(hp, "Objects", NULL, "cache.objects", F_N, s.objects);
	kv_u64(hp, "Object bytes", NULL, "cache.bytes", F_B, s.bytes);
	kv_u64(hp, "Size", NULL, "cache.size", F_B, w->shm->hdr->cache_size);
	kv_u64(hp, "Chunk size", NULL, "cache.chunk_size", F_B, s.chunk_size);
	kv_u64(hp, "Chunks used", NULL, "cache.chunks_used", F_N,
	    s.chunks_total - s.chunks_free);
	kv_u64(hp, "Chunks", NULL, "cache.chunks_total", F_N, s.chunks_total);
	kv_u64(hp, "Entries free", NULL, "cache.entries_free", F_N,
	    s.entries_free);
	kv_u64(hp, "Entries", NULL, "cache.entries_total", F_N,
	    s.entries_total);
	hput(hp, "</tbody></table>\n<table class=\"kv num\"><tbody>\n");
	for (i = 0; i < STORE_C_MAX; i++) {
		if (i == STORE_C_HIT_FRESH || i == STORE_C_NS_NO_STORE)
			hput(hp, "</tbody></table>\n<table class=\"kv num\">"
			    "<tbody>\n");
		(void)snprintf(path, sizeof(path), "cache.%s",
		    store_counter_name(i));
		kv_u64(hp, label_of(store_counter_name(i), b, sizeof(b)), NULL,
		    path, F_N, s.c[i]);
	}
	hput(hp, "</tbody></table>\n</div></section>\n");
}

static void
put_waiter(struct hp *hp, const struct worker *w)
{
	const struct shm_waiter *sw = &w->shm->hdr->waiter;
	uint64_t started = atomic_load(&sw->started);

	hput(hp, "<section id=\"waiter\"%s><h2>Waiter</h2>\n"
	    "<div class=\"cols\">\n<table class=\"kv num\"><tbody>\n",
	    atomic_load(&sw->max_conns) > 0 ? "" : " hidden");
	kv_u64(hp, "Parked now", "Connections the waiter holds",
	    "waiter.parked", F_N, parking_total(sw));
	kv_u64(hp, "head", "A request head still arriving",
	    "waiter.parked_head", F_N, atomic_load(&sw->parked[PARK_HEAD]));
	kv_u64(hp, "keep-alive", "Idle between requests",
	    "waiter.parked_keepalive", F_N,
	    atomic_load(&sw->parked[PARK_KEEPALIVE]));
	kv_u64(hp, "body", "A small body still arriving",
	    "waiter.parked_body", F_N, atomic_load(&sw->parked[PARK_BODY]));
	kv_u64(hp, "Pending", "Handed back, not yet taken by a worker",
	    "waiter.pending", F_N, atomic_load(&sw->pending));
	kv_u64(hp, "Max conns", NULL, "waiter.max_conns", F_N,
	    atomic_load(&sw->max_conns));
	hput(hp, "</tbody></table>\n<table class=\"kv num\"><tbody>\n");
	kv_u64(hp, "Hand-offs in", "Connections taken from workers",
	    "waiter.handoffs_in", F_N, atomic_load(&sw->handoffs_in));
	kv_u64(hp, "Hand-offs out", "Connections given back to workers",
	    "waiter.handoffs_out", F_N, atomic_load(&sw->handoffs_out));
	kv_u64(hp, "Hand-offs/s", "Both ways, over the last whole second",
	    "waiter.handoffs_per_s", F_N,
	    parking_per_s(sw, clock_now_ms()));
	kv_u64(hp, "Timeouts", "Closed for a timeout or min_rate",
	    "waiter.timeouts", F_N, atomic_load(&sw->timeouts));
	kv_u64(hp, "Closed", "Closed by their client while parked",
	    "waiter.closed", F_N, atomic_load(&sw->closed));
	kv_u64(hp, "Yields", "Turns ended with a sched_yield (workers.yield)",
	    "waiter.yields", F_N, atomic_load(&sw->yields));
	kv_u64(hp, "PID", NULL, "waiter.pid", F_S,
	    (uint64_t)atomic_load(&sw->pid));
	kv_u64(hp, "Restarts", NULL, "waiter.restarts", F_N,
	    started > 0 ? started - 1 : 0);
	hput(hp, "</tbody></table>\n</div></section>\n");
}

static const struct col worker_cols[] = {
	{ "slot", "Slot", F_N, NULL, NULL },
	{ "pid", "PID", F_N, NULL, NULL },
	{ "generation", "Gen", F_N, NULL, "Generation" },
	{ "state", "State", F_ST, NULL, NULL },
	{ "secs", "Time", F_D, NULL, "How long its request has taken" },
	{ "client", "Client", F_S, "mono", NULL },
	{ "request", "Request", F_S, "req", NULL },
};

static void
put_workers(struct hp *hp, const struct worker *w)
{
	const struct shm *shm = w->shm;
	time_t now = time(NULL);
	char lab[64];
	uint64_t v[CTR_N];
	uint32_t i;
	size_t c;
	size_t start = hp->len;
	int id;

	hput(hp, "<section id=\"workers\"><h2>Workers</h2>\n"
	    "<div class=\"scroll\"><table class=\"grid\"><thead><tr>");
	/* then the counters of the table that a slot holds */
	for (c = 0; c < sizeof(worker_cols) / sizeof(worker_cols[0]); c++)
		th_col(hp, &worker_cols[c]);
	for (id = 0; id < CTR_N; id++) {
		struct col col = { ctr_defs[id].name,
		    label_of(ctr_defs[id].name, lab, sizeof(lab)),
		    strncmp(ctr_defs[id].name, "bytes", 5) == 0 ? F_B : F_N,
		    NULL, ctr_defs[id].help };

		if (ctr_defs[id].where == CTR_SLOT)
			th_col(hp, &col);
	}
	hput(hp, "</tr></thead>\n<tbody data-rows=\"workers\">\n");
	if (!hdone(hp, start))
		return;
	for (i = 0; i < shm->hdr->nslots && !hp->full;
	    i = sb_scan_next(shm, i)) {
		const struct sb_slot *s = sb_slot(shm, i);
		int st = sb_get_state(s);
		const char *state = status_state_name(st);
		int busy = st != SB_IDLE && st != SB_STARTING &&
		    st != SB_KEEPALIVE;
		size_t mark = hp->len;
		long secs;

		if (st == SB_DEAD || state == NULL)
			continue;
		secs = busy && s->started > 0 ? (long)(now - s->started) : -1;
		if (secs < -1)
			secs = 0;	/* the clock went back */
		hput(hp, "<tr class=\"%s\">", state);
		td_u64(hp, F_N, i);
		td_u64(hp, F_N, (uint64_t)s->pid);
		td_u64(hp, F_N, s->generation);
		td_state(hp, state);
		if (secs >= 0)
			td_u64(hp, F_D, (uint64_t)secs);
		else
			td_null(hp, F_D);
		td_text(hp, "mono", s->client, sizeof(s->client));
		td_text(hp, "req", s->request, sizeof(s->request));
		ctr_slot(s, v);
		for (id = 0; id < CTR_N; id++)
			if (ctr_defs[id].where == CTR_SLOT)
				td_u64(hp, strncmp(ctr_defs[id].name, "bytes",
				    5) == 0 ? F_B : F_N, v[id]);
		hput(hp, "</tr>\n");
		if (!hdone(hp, mark))
			break;
	}
	hframe(hp, "</tbody></table></div></section>\n");
}

/* ---- the page ---- */

static void
make_nonce(char *dst, size_t cap)
{
	static uint64_t seq;
	uint64_t r[2];

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		/* only before the kernel's pool is ready: still unguessable
		   enough for a loopback page, never repeated */
		r[0] = mix64((uint64_t)clock_now_ms() ^ ((uint64_t)getpid()
		    << 32) ^ ++seq);
		r[1] = mix64(r[0] ^ (uint64_t)time(NULL));
	}
	(void)snprintf(dst, cap, "%016llx%016llx", (unsigned long long)r[0],
	    (unsigned long long)r[1]);
}

size_t
status_html_page(const struct worker *w, const char *base, char *buf,
    size_t max, char *hdrs, size_t hcap)
{
	struct hp hp;
	char nonce[40], when[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t mark;
	int n;

	make_nonce(nonce, sizeof(nonce));
	n = snprintf(hdrs, hcap, "Content-Security-Policy: default-src 'none'; "
	    "style-src 'nonce-%s'; script-src 'nonce-%s'; connect-src 'self'; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"
	    "Referrer-Policy: same-origin\r\n", nonce, nonce);
	if (n < 0 || (size_t)n >= hcap || max < 2 * HTML_RESERVE)
		return (0);
	memset(&hp, 0, sizeof(hp));
	hp.p = buf;
	hp.p[0] = '\0';
	hp.max = max;
	hp.cap = max - HTML_RESERVE;
	(void)gmtime_r(&now, &tm);
	(void)strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);

	hput(&hp, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>porter status</title>\n"
	    "<noscript><meta http-equiv=\"refresh\" content=\"%d\"></noscript>"
	    "\n<style nonce=\"%s\">\n", HTML_REFRESH, nonce);
	hmem(&hp, page_css, sizeof(page_css) - 1);
	hput(&hp, "</style>\n<script nonce=\"%s\">\n", nonce);
	hmem(&hp, page_js, sizeof(page_js) - 1);
	hput(&hp, "</script>\n</head>\n<body>\n<header><h1>porter status</h1>\n"
	    "<p id=\"live\" class=\"note\">Rendered at %s.</p>\n"
	    "<noscript><p class=\"note\">JavaScript is off: this page "
	    "reloads itself every %d s.</p></noscript>\n</header>\n<main>\n",
	    when, HTML_REFRESH);
	if (hp.full) {
		/* a page room too small even for the frame (tiny builds) */
		hp.len = 0;
		hp.full = 0;
		hframe(&hp, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		    "<meta charset=\"utf-8\"><title>porter status</title>"
		    "</head><body><p id=\"truncated\">The page does not fit: "
		    "see ?format=json.</p></body></html>\n");
		return (hp.len);
	}
	/*
	 * Backends before workers: they matter more than a long worker
	 * list. The small sections are whole or absent; the tables keep the
	 * rows that fit.
	 */
	mark = hp.len;
	put_summary(&hp, w);
	if (hdone(&hp, mark))
		put_backends(&hp, w, base);
	mark = hp.len;
	if (!hp.full) {
		put_cache(&hp, w);
		(void)hdone(&hp, mark);
	}
	mark = hp.len;
	if (!hp.full) {
		put_purge(&hp, w, base);
		(void)hdone(&hp, mark);
	}
	mark = hp.len;
	if (!hp.full) {
		put_waiter(&hp, w);
		(void)hdone(&hp, mark);
	}
	if (!hp.full)
		put_workers(&hp, w);
	hframe(&hp, hp.full ? "</main>\n<p id=\"truncated\" class=\"warn\">"
	    "Truncated: the page is built in a fixed room and this is what "
	    "fitted.</p>\n" : "</main>\n<p id=\"truncated\" class=\"warn\" "
	    "hidden>Truncated: the page is built in a fixed room and this is "
	    "what fitted.</p>\n");
	hframe(&hp, "</body>\n</html>\n");
	return (hp.len);
}

/* ---- which form a client asks for ---- */

/* The forms by media type, in the order a tie prefers them. */
static const char *const fmt_types[] = {
	[STATUS_TEXT] = "text/plain", [STATUS_HTML] = "text/html",
	[STATUS_JSON] = "application/json"
};
static const enum status_fmt tie_order[] = {
	STATUS_TEXT, STATUS_HTML, STATUS_JSON
};

/* A qvalue ("0", "0.8", "1.000") in thousandths; -1 if malformed. */
static int
qvalue(const char *s, size_t n)
{
	int q, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return (-1);
	q = (s[0] - '0') * 1000;
	if (n == 1)
		return (q);
	if (s[1] != '.' || n > 5)
		return (-1);
	for (i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		q += (s[i] - '0') * scale;
	}
	return (q > 1000 ? -1 : q);
}

/*
 * One media range of an Accept value, s[0..n) (OWS trimmed): how well
 * it matches each form (3 exact, 2 type/ *, 1 * / *, 0 not) and its q.
 */
static void
one_range(const char *s, size_t n, int spec[3], int q[3])
{
	const char *semi = memchr(s, ';', n);
	size_t tlen = semi != NULL ? (size_t)(semi - s) : n, i;
	int qv = 1000;

	while (tlen > 0 && (s[tlen - 1] == ' ' || s[tlen - 1] == '\t'))
		tlen--;
	/* parameters: only q counts (the ones before it are the type's) */
	while (semi != NULL) {
		const char *p = semi + 1, *end = s + n;

		semi = memchr(p, ';', (size_t)(end - p));
		if (semi != NULL)
			end = semi;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') &&
		    p[1] == '=') {
			qv = qvalue(p + 2, (size_t)(end - p - 2));
			if (qv < 0)
				return;		/* ignore a range we cannot read */
			break;
		}
	}
	for (i = 0; i < 3; i++) {
		const char *t = fmt_types[i];
		const char *slash = strchr(t, '/');
		size_t major = (size_t)(slash - t);
		int sp = 0;

		if (tlen == strlen(t) && strncasecmp(s, t, tlen) == 0)
			sp = 3;
		else if (tlen == major + 2 && strncasecmp(s, t, major + 1) == 0
		    && s[major + 1] == '*')
			sp = 2;
		else if (tlen == 3 && memcmp(s, "*/*", 3) == 0)
			sp = 1;
		if (sp > spec[i]) {
			spec[i] = sp;
			q[i] = qv;
		}
	}
}

enum status_fmt
status_html_accept(const char *buf, const struct http_head *h)
{
	int spec[3] = { 0, 0, 0 }, q[3] = { 0, 0, 0 }, seen = 0, i, best;

	for (i = 0; i < h->nhdr; i++) {
		const char *v = buf + h->hdr[i].value.off;
		const char *end = v + h->hdr[i].value.len;

		if (!http_span_eq(buf, h->hdr[i].name, "Accept"))
			continue;
		seen = 1;
		while (v < end) {
			const char *comma = memchr(v, ',', (size_t)(end - v));
			const char *stop = comma != NULL ? comma : end;

			while (v < stop && (*v == ' ' || *v == '\t'))
				v++;
			if (stop > v)
				one_range(v, (size_t)(stop - v), spec, q);
			v = stop + (comma != NULL);
		}
	}
	if (!seen)
		return (STATUS_TEXT);
	best = STATUS_TEXT;
	for (i = 1; i < 3; i++)
		if (q[tie_order[i]] > q[best])
			best = (int)tie_order[i];
	return ((enum status_fmt)best);
}
