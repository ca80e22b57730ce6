/*
 * RFC 9111 for a shared cache, read strictly where a mistake would serve
 * one client's response to another (private, Authorization, Set-Cookie,
 * Vary) and leniently where a sender's sloppiness only costs a hit
 * (quoted numbers, spacing, case).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "lib/outbuf.h"
#include "worker/cache_policy.h"
#include "worker/http_date.h"

/* ---- Small helpers -------------------------------------------------- */

static unsigned char
lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

static int
ows(unsigned char c)
{
	return (c == ' ' || c == '\t');
}

/* RFC 9110 5.6.2, by hand: <ctype.h> would follow the locale. */
static int
tchar(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL));
}

static int
eq_ci(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
			return (0);
	return (1);
}

/* Span a of abuf and span b of bbuf name the same thing, any case. */
static int
span_eq_ci(const char *abuf, struct span a, const char *bbuf, struct span b)
{
	return (a.len == b.len && eq_ci(abuf + a.off, bbuf + b.off, a.len));
}

/* The next field of h named name at index >= from, or -1. */
static int
field(const struct http_head *h, const char *buf, const char *name, int from)
{
	int i;

	for (i = from; i < h->nhdr; i++)
		if (http_span_eq(buf, h->hdr[i].name, name))
			return (i);
	return (-1);
}

/* The value of the only field of that name as a date; -1 if none, several or bad. */
static int
date_field(const struct http_head *h, const char *buf, const char *name,
    int64_t *t)
{
	int i = field(h, buf, name, 0);

	if (i < 0 || field(h, buf, name, i + 1) >= 0)
		return (-1);
	return (http_date_parse(buf + h->hdr[i].value.off,
	    h->hdr[i].value.len, t));
}

/*
 * Elements of a comma list (RFC 9110 5.6.1), with commas inside quoted
 * strings kept in their element and empty elements skipped.
 */
struct list {
	const char	*b;
	uint32_t	 pos, end;
};

static void
list_start(struct list *l, const char *buf, struct span v)
{
	l->b = buf;
	l->pos = v.off;
	l->end = v.off + v.len;
}

static int
list_next(struct list *l, struct span *e)
{
	uint32_t s, t;
	int q = 0;

	for (;;) {
		while (l->pos < l->end && (ows((unsigned char)l->b[l->pos]) ||
		    l->b[l->pos] == ','))
			l->pos++;
		if (l->pos >= l->end)
			return (0);
		s = l->pos;
		q = 0;
		for (; l->pos < l->end; l->pos++) {
			if (q && l->b[l->pos] == '\\' && l->pos + 1 < l->end)
				l->pos++;
			else if (l->b[l->pos] == '"')
				q = !q;
			else if (!q && l->b[l->pos] == ',')
				break;
		}
		for (t = l->pos; t > s && ows((unsigned char)l->b[t - 1]); t--)
			;
		if (t > s) {
			e->off = s;
			e->len = t - s;
			return (1);
		}
	}
}

/* ---- Cache-Control -------------------------------------------------- */

/* One directive: name [ "=" value ], value without its quotes. */
struct dir {
	struct span	name, val;
	int		has_val, quoted, bad;
};

static void
dir_split(const char *b, struct span e, struct dir *d)
{
	uint32_t i = e.off, end = e.off + e.len;

	memset(d, 0, sizeof(*d));
	d->name.off = i;
	while (i < end && tchar((unsigned char)b[i]))
		i++;
	d->name.len = i - e.off;
	while (i < end && ows((unsigned char)b[i]))
		i++;
	if (d->name.len == 0) {
		d->bad = 1;
		return;
	}
	if (i == end)
		return;
	if (b[i] != '=') {
		d->bad = 1;
		return;
	}
	d->has_val = 1;
	for (i++; i < end && ows((unsigned char)b[i]); i++)
		;
	if (i < end && b[i] == '"') {
		d->quoted = 1;
		d->val.off = ++i;
		while (i < end && b[i] != '"')
			i += (b[i] == '\\' && i + 1 < end) ? 2 : 1;
		if (i >= end) {
			d->bad = 1;	/* unterminated */
			return;
		}
		d->val.len = i - d->val.off;
		i++;
	} else {
		d->val.off = i;
		while (i < end && tchar((unsigned char)b[i]))
			i++;
		d->val.len = i - d->val.off;
	}
	if (i != end)
		d->bad = 1;	/* "max-age=6 0", "a="x"y" */
}

/* delta-seconds (RFC 9111 1.2.2), escapes of a quoted value undone; -1 if bad. */
static int64_t
delta(const char *b, const struct dir *d)
{
	uint32_t i, end = d->val.off + d->val.len;
	int64_t v = 0;
	int n = 0;

	if (!d->has_val || d->bad)
		return (-1);
	for (i = d->val.off; i < end; i++) {
		if (d->quoted && b[i] == '\\' && i + 1 < end)
			i++;
		if (b[i] < '0' || b[i] > '9')
			return (-1);
		v = v * 10 + (b[i] - '0');
		if (v > CP_DELTA_MAX)
			v = CP_DELTA_MAX;	/* and stays so */
		n++;
	}
	return (n > 0 ? v : -1);
}

static int
dname(const char *b, const struct dir *d, const char *s)
{
	return (http_span_eq(b, d->name, s));
}

/*
 * private="a, b" or no-cache="a": keep the names. 0 when they cannot all
 * be kept, so the caller falls back to the unqualified directive.
 */
static int
qualified(struct cp_cc *cc, const char *b, const struct dir *d, int nocache)
{
	struct list l;
	struct span e;
	uint32_t i;
	int n = 0;

	if (d->bad)
		return (0);
	list_start(&l, b, d->val);
	while (list_next(&l, &e)) {
		for (i = 0; i < e.len; i++)
			if (!tchar((unsigned char)b[e.off + i]))
				return (0);
		if (cc->nfield == CP_CC_FIELDS)
			return (0);
		if (nocache)
			cc->field_nocache |= 1u << cc->nfield;
		cc->field[cc->nfield++] = e;
		n++;
	}
	return (n > 0);
}

static void
directive(struct cp_cc *cc, const char *b, const struct dir *d, int *seen)
{
	int64_t v;

	if (dname(b, d, "max-age") || dname(b, d, "s-maxage")) {
		int s = dname(b, d, "s-maxage");
		uint32_t badf = s ? CP_CC_BAD_S_MAXAGE : CP_CC_BAD_MAX_AGE;
		int64_t *slot = s ? &cc->s_maxage : &cc->max_age;

		v = delta(b, d);
		if (seen[s]++ || v < 0)
			cc->flags |= badf;
		else
			*slot = v;
	} else if (dname(b, d, "max-stale")) {
		if (!d->has_val && !d->bad)
			v = CP_STALE_ANY;
		else if ((v = delta(b, d)) < 0)
			return;		/* unreadable: as if absent */
		/* twice: the stricter */
		if (cc->max_stale < 0 || v < cc->max_stale)
			cc->max_stale = v;
	} else if (dname(b, d, "min-fresh")) {
		if ((v = delta(b, d)) >= 0 && v > cc->min_fresh)
			cc->min_fresh = v;
	} else if (dname(b, d, "stale-while-revalidate")) {
		if ((v = delta(b, d)) >= 0 && (cc->stale_while_revalidate < 0 ||
		    v < cc->stale_while_revalidate))
			cc->stale_while_revalidate = v;
	} else if (dname(b, d, "stale-if-error")) {
		if ((v = delta(b, d)) >= 0 && (cc->stale_if_error < 0 ||
		    v < cc->stale_if_error))
			cc->stale_if_error = v;
	} else if (dname(b, d, "no-cache")) {
		if (d->has_val && qualified(cc, b, d, 1))
			cc->flags |= CP_CC_NO_CACHE_FIELDS;
		else
			cc->flags |= CP_CC_NO_CACHE;
	} else if (dname(b, d, "private")) {
		if (d->has_val && qualified(cc, b, d, 0))
			cc->flags |= CP_CC_PRIVATE_FIELDS;
		else
			cc->flags |= CP_CC_PRIVATE;
	} else if (dname(b, d, "no-store"))
		cc->flags |= CP_CC_NO_STORE;
	else if (dname(b, d, "public"))
		cc->flags |= CP_CC_PUBLIC;
	else if (dname(b, d, "must-revalidate"))
		cc->flags |= CP_CC_MUST_REVALIDATE;
	else if (dname(b, d, "proxy-revalidate"))
		cc->flags |= CP_CC_PROXY_REVALIDATE;
	else if (dname(b, d, "immutable"))
		cc->flags |= CP_CC_IMMUTABLE;
	else if (dname(b, d, "only-if-cached"))
		cc->flags |= CP_CC_ONLY_IF_CACHED;
	else if (dname(b, d, "no-transform"))
		cc->flags |= CP_CC_NO_TRANSFORM;
	else if (dname(b, d, "must-understand"))
		cc->flags |= CP_CC_MUST_UNDERSTAND;
	/* anything else: an extension we do not know, ignored (5.2.3) */
}

int
cp_cc_parse(struct cp_cc *cc, const char *buf, const struct http_head *h,
    const char *name)
{
	struct list l;
	struct span e;
	struct dir d;
	int i, lines = 0, seen[2] = { 0, 0 };

	memset(cc, 0, sizeof(*cc));
	cc->max_age = cc->s_maxage = cc->max_stale = cc->min_fresh = -1;
	cc->stale_while_revalidate = cc->stale_if_error = -1;
	for (i = 0; (i = field(h, buf, name, i)) >= 0; i++) {
		lines++;
		cc->flags |= CP_CC_PRESENT;
		list_start(&l, buf, h->hdr[i].value);
		while (list_next(&l, &e)) {
			dir_split(buf, e, &d);
			if (d.name.len > 0)
				directive(cc, buf, &d, seen);
		}
	}
	/* a bad one poisons the value, whichever came first */
	if (cc->flags & CP_CC_BAD_MAX_AGE)
		cc->max_age = -1;
	if (cc->flags & CP_CC_BAD_S_MAXAGE)
		cc->s_maxage = -1;
	return (lines);
}

void
cp_cc_request(struct cp_cc *cc, const char *buf, const struct http_req *q)
{
	struct list l;
	struct span e;
	int i;

	if (cp_cc_parse(cc, buf, &q->h, "cache-control") > 0)
		return;
	for (i = 0; (i = field(&q->h, buf, "pragma", i)) >= 0; i++) {
		list_start(&l, buf, q->h.hdr[i].value);
		while (list_next(&l, &e))
			if (http_span_eq(buf, e, "no-cache"))
				cc->flags |= CP_CC_NO_CACHE | CP_CC_PRAGMA;
	}
}

/* ---- Storing -------------------------------------------------------- */

/* RFC 9110 15.1: cacheable by default, so a heuristic lifetime may apply. */
static int
heuristic_status(int code)
{
	switch (code) {
	case 200: case 203: case 204: case 300: case 301: case 308:
	case 404: case 405: case 410: case 414: case 501:
		return (1);
	}
	return (0);
}

/* The Age field (RFC 9111 5.1): its first member; 0 when absent or bad. */
static int64_t
age_value(const struct http_head *h, const char *buf)
{
	struct list l;
	struct span e;
	int64_t v = 0;
	uint32_t i;
	int k = field(h, buf, "age", 0);

	if (k < 0)
		return (0);
	list_start(&l, buf, h->hdr[k].value);
	if (!list_next(&l, &e))
		return (0);
	for (i = 0; i < e.len; i++) {
		if (buf[e.off + i] < '0' || buf[e.off + i] > '9')
			return (0);
		v = v * 10 + (buf[e.off + i] - '0');
		if (v > CP_DELTA_MAX)
			v = CP_DELTA_MAX;
	}
	return (v);
}

static void
drop(struct cp_fresh *f, int i)
{
	f->drop[i / 64] |= (uint64_t)1 << (i % 64);
}

int
cp_dropped(const struct cp_fresh *f, int i)
{
	if (i < 0 || i >= HTTP_MAX_HEADERS)
		return (0);
	return ((f->drop[i / 64] >> (i % 64)) & 1);
}

/* Seconds from ms, rounding down also before 1970. */
static int64_t
secs(int64_t ms)
{
	return (ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
}

/*
 * The freshness lifetime (RFC 9111 4.2.1) in the order a shared cache
 * reads it; sets CP_F_EXPLICIT, _HEURISTIC, _DEFAULT_TTL in *flags.
 */
static int64_t
lifetime(const struct cp_cc *cc, int use_expires, const struct http_resp *r,
    const char *rbuf, const struct cp_rules *ru, int64_t date,
    uint16_t *flags)
{
	int64_t exp, lm, v;

	if (cc->flags & (CP_CC_BAD_S_MAXAGE | CP_CC_BAD_MAX_AGE) ||
	    cc->s_maxage >= 0 || cc->max_age >= 0)
		*flags |= CP_F_EXPLICIT;
	if (cc->s_maxage >= 0)
		return (cc->s_maxage);
	if (cc->flags & CP_CC_BAD_S_MAXAGE)
		return (0);
	if (cc->max_age >= 0)
		return (cc->max_age);
	if (cc->flags & CP_CC_BAD_MAX_AGE)
		return (0);
	if (use_expires && field(&r->h, rbuf, "expires", 0) >= 0) {
		*flags |= CP_F_EXPLICIT;
		/* a bad one, "0", or two of them: already expired (5.3) */
		if (date_field(&r->h, rbuf, "expires", &exp) < 0)
			return (0);
		return (exp > date ? exp - date : 0);
	}
	if (!heuristic_status(r->code))
		return (0);
	/* RFC 9111 4.2.2's "10% of the interval", bounded by a day */
	if (date_field(&r->h, rbuf, "last-modified", &lm) == 0 && date > lm) {
		v = (date - lm) / 10;
		if (v > 86400)
			v = 86400;
		if (v > 0) {
			*flags |= CP_F_HEURISTIC;
			return (v);
		}
	}
	if (ru->default_ttl > 0) {
		*flags |= CP_F_DEFAULT_TTL;
		return (ru->default_ttl);
	}
	return (0);
}

/* Drop every field of r named in cc's qualified private and no-cache. */
static void
drop_qualified(struct cp_fresh *f, const struct cp_cc *cc,
    const struct http_resp *r, const char *rbuf)
{
	int i, k;

	for (i = 0; i < r->h.nhdr && i < HTTP_MAX_HEADERS; i++)
		for (k = 0; k < cc->nfield; k++)
			if (span_eq_ci(rbuf, r->h.hdr[i].name, rbuf,
			    cc->field[k]))
				drop(f, i);
}

int
cp_storable(const struct http_req *q, const char *qbuf,
    const struct http_resp *r, const char *rbuf, const struct cp_rules *ru,
    int64_t request_time, int64_t response_time, struct cp_fresh *f,
    const char **detail)
{
	struct cp_cc cc, qcc;
	int64_t date, lm, life, apparent, delay, corrected, initial;
	int i, cdn = 0;

	memset(f, 0, sizeof(*f));
	f->request_time = request_time;
	f->response_time = response_time;
	f->status = (uint16_t)r->code;
	*detail = NULL;

	/* RFC 9213: the targeted field, when porter is told to obey it */
	if (ru->cdn_cache_control &&
	    cp_cc_parse(&cc, rbuf, &r->h, "cdn-cache-control") > 0) {
		cdn = 1;
		f->flags |= CP_F_CDN;
	} else
		(void)cp_cc_parse(&cc, rbuf, &r->h, "cache-control");
	cp_cc_request(&qcc, qbuf, q);

	if (date_field(&r->h, rbuf, "date", &date) < 0)
		date = secs(response_time);
	life = lifetime(&cc, !cdn, r, rbuf, ru, date, &f->flags);
	if (ru->max_ttl > 0 && life > ru->max_ttl)
		life = ru->max_ttl;

	/* RFC 9111 4.2.3, every term as named there */
	apparent = secs(response_time) - date;
	if (apparent < 0)
		apparent = 0;
	delay = secs(response_time - request_time);
	if (delay < 0)
		delay = 0;
	corrected = age_value(&r->h, rbuf) + delay;
	initial = apparent > corrected ? apparent : corrected;
	if (initial > UINT32_MAX)
		initial = UINT32_MAX;
	f->lifetime = (uint32_t)life;
	f->initial_age = (uint32_t)initial;
	f->expires = response_time + (life - initial) * 1000;
	f->stale_while_revalidate = cc.stale_while_revalidate;
	f->stale_if_error = cc.stale_if_error;

	/* s-maxage implies proxy-revalidate for a shared cache (5.2.2.10) */
	if (cc.flags & (CP_CC_MUST_REVALIDATE | CP_CC_PROXY_REVALIDATE) ||
	    cc.s_maxage >= 0)
		f->flags |= CP_F_MUST_REVALIDATE;
	if (cc.flags & CP_CC_NO_CACHE)
		f->flags |= CP_F_NO_CACHE;
	if (cc.flags & CP_CC_IMMUTABLE)
		f->flags |= CP_F_IMMUTABLE;
	if (field(&r->h, rbuf, "etag", 0) >= 0)
		f->flags |= CP_F_ETAG;
	if (date_field(&r->h, rbuf, "last-modified", &lm) == 0)
		f->flags |= CP_F_LAST_MODIFIED;

	if (q->meth != HTTP_M_GET) {
		*detail = "method";
		return (0);
	}
	/* a 206 is a piece, a 304 not a response to store, 1xx not final */
	if (r->code < 200 || r->code == 206 || r->code == 304) {
		*detail = "status";
		return (0);
	}
	if ((cc.flags | qcc.flags) & CP_CC_NO_STORE) {
		*detail = "no-store";
		return (0);
	}
	if (cc.flags & CP_CC_PRIVATE) {
		*detail = "private";
		return (0);
	}
	/* RFC 9111 3.5 */
	if (field(&q->h, qbuf, "authorization", 0) >= 0 &&
	    !(cc.flags & (CP_CC_PUBLIC | CP_CC_MUST_REVALIDATE)) &&
	    cc.s_maxage < 0) {
		*detail = "authorization";
		return (0);
	}
	if (!heuristic_status(r->code) && !(f->flags & CP_F_EXPLICIT)) {
		*detail = "status";
		return (0);
	}
	for (i = 0; i < r->h.nhdr && i < HTTP_MAX_HEADERS; i++) {
		if (!http_span_eq(rbuf, r->h.hdr[i].name, "set-cookie") &&
		    !http_span_eq(rbuf, r->h.hdr[i].name, "set-cookie2"))
			continue;
		if (!ru->set_cookie) {
			*detail = "set-cookie";
			return (0);
		}
		drop(f, i);
	}
	if (cp_vary_star(r, rbuf)) {
		*detail = "vary-star";
		return (0);
	}
	drop_qualified(f, &cc, r, rbuf);
	/*
	 * Worth keeping only if it can answer a request: fresh for a while,
	 * or revalidated cheaply because the origin asked for exactly that
	 * (max-age=0 or no-cache with a validator).
	 */
	if ((f->flags & CP_F_NO_CACHE) && !(f->flags & CP_F_VALIDATORS)) {
		*detail = "no-freshness";
		return (0);
	}
	if (life <= initial && !((f->flags & CP_F_VALIDATORS) &&
	    (f->flags & (CP_F_EXPLICIT | CP_F_NO_CACHE)))) {
		*detail = "no-freshness";
		return (0);
	}
	return (1);
}

/* ---- Using ---------------------------------------------------------- */

int64_t
cp_age(const struct cp_fresh *f, int64_t now)
{
	int64_t resident = now > f->response_time ?
	    (now - f->response_time) / 1000 : 0;

	return ((int64_t)f->initial_age + resident);
}

enum cp_use
cp_usable(const struct cp_cc *rq, const struct cp_fresh *f, int64_t now,
    int64_t *ttl)
{
	int64_t age = cp_age(f, now), left = (int64_t)f->lifetime - age;
	int64_t maxage = rq->max_age;
	int fresh = left > 0;

	if (ttl != NULL)
		*ttl = left;
	if (rq->flags & CP_CC_NO_STORE)
		return (CP_MISS);
	if (f->flags & CP_F_NO_CACHE)
		return (CP_REVALIDATE);
	if (rq->flags & CP_CC_NO_CACHE)
		return (fresh && (f->flags & CP_F_IMMUTABLE) ? CP_FRESH :
		    CP_REVALIDATE);
	/* a client's garbled max-age: read as the strictest, 0 */
	if (rq->flags & CP_CC_BAD_MAX_AGE)
		maxage = 0;
	if (maxage >= 0 && age > maxage)
		return (CP_REVALIDATE);
	if (rq->min_fresh >= 0 && left < rq->min_fresh)
		return (CP_REVALIDATE);
	if (fresh)
		return (CP_FRESH);
	if (f->flags & CP_F_MUST_REVALIDATE)
		return (CP_REVALIDATE);
	if (rq->max_stale >= 0 &&
	    (rq->max_stale == CP_STALE_ANY || -left <= rq->max_stale))
		return (CP_STALE_OK);
	return (CP_REVALIDATE);
}

/* ---- Variants ------------------------------------------------------- */

int
cp_vary_star(const struct http_resp *r, const char *rbuf)
{
	struct list l;
	struct span e;
	int i;

	for (i = 0; (i = field(&r->h, rbuf, "vary", i)) >= 0; i++) {
		list_start(&l, rbuf, r->h.hdr[i].value);
		while (list_next(&l, &e))
			if (e.len == 1 && rbuf[e.off] == '*')
				return (1);
	}
	return (0);
}


static void
out_c(struct outbuf *o, char c)
{
	outbuf_add(o, &c, 1);
}

static void
out_lc(struct outbuf *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out_c(o, (char)lc((unsigned char)s[i]));
}

/* Whether a qvalue (RFC 9110 12.4.2) is above 0; -1 if malformed. */
static int
qpositive(const char *s, size_t n)
{
	size_t i;
	int pos = 0;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return (-1);
	pos = s[0] == '1';
	if (n == 1)
		return (pos);
	if (s[1] != '.' || n > 5)
		return (-1);
	for (i = 2; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		if (s[i] != '0') {
			if (s[0] == '1')
				return (-1);	/* above 1 */
			pos = 1;
		}
	}
	return (pos);
}

/*
 * Element e of Accept-Encoding: its coding in *c, and whether its q is
 * above 0 (a malformed q: not acceptable, the safe reading for a cache).
 */
static int
coding_ok(const char *b, struct span e, struct span *c)
{
	uint32_t i = e.off, end = e.off + e.len, s;

	c->off = i;
	while (i < end && tchar((unsigned char)b[i]))
		i++;
	c->len = i - e.off;
	for (;;) {
		while (i < end && ows((unsigned char)b[i]))
			i++;
		if (i == end)
			return (1);
		if (b[i] != ';')
			return (0);
		for (i++; i < end && ows((unsigned char)b[i]); i++)
			;
		s = i;
		while (i < end && tchar((unsigned char)b[i]))
			i++;
		if (i - s == 1 && lc((unsigned char)b[s]) == 'q' && i < end &&
		    b[i] == '=') {
			s = ++i;
			while (i < end && tchar((unsigned char)b[i]))
				i++;
			return (qpositive(b + s, i - s) == 1);
		}
		/* another parameter: skip its value */
		while (i < end && b[i] != ';')
			i++;
	}
}

/* Accept-Encoding as "gzip" or "": all porter tells apart (it gzips). */
static int
accepts_gzip(const struct http_req *q, const char *b)
{
	struct list l;
	struct span e, c;
	int i, ok, star = -1;

	for (i = 0; (i = field(&q->h, b, "accept-encoding", i)) >= 0; i++) {
		list_start(&l, b, q->h.hdr[i].value);
		while (list_next(&l, &e)) {
			ok = coding_ok(b, e, &c);
			if (http_span_eq(b, c, "gzip") ||
			    http_span_eq(b, c, "x-gzip"))
				return (ok);
			if (c.len == 1 && b[c.off] == '*')
				star = ok;
		}
	}
	return (star == 1);
}

long
cp_value(char *buf, size_t cap, const struct http_req *q, const char *qbuf,
    const char *name)
{
	struct outbuf o = { buf, cap < CP_VALUE_MAX ? cap : CP_VALUE_MAX, 0, 0 };
	const char *v;
	uint32_t j;
	int i, sp;

	if (strcasecmp(name, "accept-encoding") == 0) {
		if (accepts_gzip(q, qbuf))
			outbuf_add(&o, "gzip", 4);
		return (o.overflow ? -1 : (long)o.len);
	}
	for (i = 0; (i = field(&q->h, qbuf, name, i)) >= 0; i++) {
		v = qbuf + q->h.hdr[i].value.off;
		/* a new line is a new list element: as if after a comma */
		sp = 0;
		if (o.len > 0 && q->h.hdr[i].value.len > 0) {
			out_c(&o, ',');
			sp = 1;
		}
		for (j = 0; j < q->h.hdr[i].value.len; j++) {
			if (ows((unsigned char)v[j])) {
				sp = o.len > 0;
				continue;
			}
			if (v[j] == ',') {
				out_c(&o, ',');
				sp = 1;
				continue;
			}
			if (sp)
				out_c(&o, ' ');
			sp = 0;
			out_c(&o, v[j]);
		}
	}
	return (o.overflow ? -1 : (long)o.len);
}

/* a < b as lower-cased bytes, a shorter prefix first */
static int
name_lt(const char *b, struct span a, struct span c)
{
	uint32_t i, n = a.len < c.len ? a.len : c.len;
	unsigned char x, y;

	for (i = 0; i < n; i++) {
		x = lc((unsigned char)b[a.off + i]);
		y = lc((unsigned char)b[c.off + i]);
		if (x != y)
			return (x < y);
	}
	return (a.len < c.len);
}

long
cp_vary_build(char *buf, size_t cap, const struct http_resp *r,
    const char *rbuf, const struct http_req *q, const char *qbuf)
{
	struct span names[CP_VARY_NAMES], e, t;
	struct outbuf o = { buf, cap, 0, 0 };
	struct list l;
	char lname[256];
	long n;
	uint32_t j;
	int i, k, nn = 0, dup;

	for (i = 0; (i = field(&r->h, rbuf, "vary", i)) >= 0; i++) {
		list_start(&l, rbuf, r->h.hdr[i].value);
		while (list_next(&l, &e)) {
			if (e.len >= sizeof(lname))
				return (-1);
			for (j = 0; j < e.len; j++)
				if (!tchar((unsigned char)rbuf[e.off + j]))
					return (-1);
			if (e.len == 1 && rbuf[e.off] == '*')
				return (-1);
			for (dup = 0, k = 0; k < nn && !dup; k++)
				dup = span_eq_ci(rbuf, names[k], rbuf, e);
			if (dup)
				continue;
			if (nn == CP_VARY_NAMES)
				return (-1);
			/* insertion sort: a handful of names */
			for (k = nn++; k > 0 && name_lt(rbuf, e, names[k - 1]);
			    k--)
				names[k] = names[k - 1];
			names[k] = e;
		}
	}
	for (k = 0; k < nn; k++) {
		t = names[k];
		for (j = 0; j < t.len; j++)
			lname[j] = (char)lc((unsigned char)rbuf[t.off + j]);
		lname[t.len] = '\0';
		outbuf_add(&o, lname, t.len + 1);
		if (o.overflow)
			return (-1);
		n = cp_value(buf + o.len, cap - o.len, q, qbuf, lname);
		if (n < 0)
			return (-1);
		o.len += (size_t)n;
		out_c(&o, '\0');
	}
	return (o.overflow ? -1 : (long)o.len);
}

int
cp_vary_match(const char *blob, size_t len, const struct http_req *q,
    const char *qbuf)
{
	char v[CP_VALUE_MAX];
	const char *name, *val, *end = blob + len, *z;
	long n;

	while (blob < end) {
		name = blob;
		if ((z = memchr(name, '\0', (size_t)(end - name))) == NULL)
			return (0);
		val = z + 1;
		if (val >= end ||
		    (z = memchr(val, '\0', (size_t)(end - val))) == NULL)
			return (0);
		n = cp_value(v, sizeof(v), q, qbuf, name);
		if (n < 0 || (size_t)n != (size_t)(z - val) ||
		    memcmp(v, val, (size_t)n) != 0)
			return (0);
		blob = z + 1;
	}
	return (1);
}

/* ---- Keys ----------------------------------------------------------- */

/* The host without the scheme's default port (or an empty one). */
static size_t
host_len(const char *h, size_t n, int https)
{
	const char *dflt = https ? ":443" : ":80";
	size_t dl = strlen(dflt);

	if (n > dl && memcmp(h + n - dl, dflt, dl) == 0)
		return (n - dl);
	if (n > 1 && h[n - 1] == ':')
		return (n - 1);
	return (n);
}

static int
ignored(const struct cp_key *k, const char *p, size_t n)
{
	int i;

	for (i = 0; i < k->nignore; i++)
		if (strlen(k->ignore[i]) == n &&
		    memcmp(k->ignore[i], p, n) == 0)
			return (1);
	return (0);
}

size_t
cp_key_build(char *buf, size_t cap, const struct cp_key *k)
{
	struct outbuf o = { buf, cap, 0, 0 };
	const char *p, *end, *amp, *eq;
	size_t nl;
	long n;
	int i, first = 1;

	out_c(&o, k->meth == HTTP_M_GET || k->meth == HTTP_M_HEAD ? 'G' : 'X');
	out_c(&o, '\0');
	outbuf_add(&o, k->https ? "https" : "http", k->https ? 5 : 4);
	out_c(&o, '\0');
	out_lc(&o, k->host, host_len(k->host, k->hostlen, k->https));
	out_c(&o, '\0');
	outbuf_add(&o, k->path, k->pathlen);
	if (k->query != NULL && !k->ignore_query) {
		end = k->query + k->querylen;
		for (p = k->query; p < end; p = amp + 1) {
			if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
				amp = end;
			eq = memchr(p, '=', (size_t)(amp - p));
			if (amp == p ||
			    ignored(k, p, (size_t)((eq != NULL ? eq : amp) - p)))
				continue;
			out_c(&o, first ? '?' : '&');
			first = 0;
			outbuf_add(&o, p, (size_t)(amp - p));
		}
	}
	out_c(&o, '\0');
	if (k->route != NULL)
		outbuf_add(&o, k->route, strlen(k->route));
	out_c(&o, '\0');
	for (i = 0; i < k->nheaders; i++) {
		nl = strlen(k->headers[i]);
		out_lc(&o, k->headers[i], nl);
		out_c(&o, '\0');
		if (o.overflow)
			return (0);
		n = cp_value(buf + o.len, cap - o.len, k->q, k->qbuf,
		    k->headers[i]);
		if (n < 0)
			return (0);
		o.len += (size_t)n;
		out_c(&o, '\0');
	}
	return (o.overflow ? 0 : o.len);
}

/* ---- Conditionals and ranges ---------------------------------------- */

/*
 * Entity-tag e ([W/]"opaque"): its opaque part with the quotes in *t and
 * whether it is weak. 0 if e is not an entity-tag.
 */
static int
etag(const char *b, struct span e, struct span *t, int *weak)
{
	uint32_t i;

	*weak = e.len >= 2 && b[e.off] == 'W' && b[e.off + 1] == '/';
	t->off = e.off + (*weak ? 2 : 0);
	t->len = e.len - (*weak ? 2 : 0);
	if (t->len < 2 || b[t->off] != '"' || b[t->off + t->len - 1] != '"')
		return (0);
	for (i = 1; i + 1 < t->len; i++)
		if (b[t->off + i] == '"')
			return (0);
	return (1);
}

/* The stored ETag: 0 if s has none (or a bad one). */
static int
stored_etag(const struct http_head *s, const char *sbuf, struct span *t,
    int *weak)
{
	int k = field(s, sbuf, "etag", 0);

	return (k >= 0 && etag(sbuf, s->hdr[k].value, t, weak));
}

int
cp_not_modified(const struct http_req *q, const char *qbuf,
    const struct http_head *s, const char *sbuf)
{
	struct list l;
	struct span e, t, st;
	int64_t ims, lm;
	int i, w, sw, have, any = 0;

	have = stored_etag(s, sbuf, &st, &sw);
	for (i = 0; (i = field(&q->h, qbuf, "if-none-match", i)) >= 0; i++) {
		any = 1;
		list_start(&l, qbuf, q->h.hdr[i].value);
		while (list_next(&l, &e)) {
			if (e.len == 1 && qbuf[e.off] == '*')
				return (1);
			/* weak comparison (RFC 9110 8.8.3.2): W/ aside */
			if (have && etag(qbuf, e, &t, &w) &&
			    t.len == st.len &&
			    memcmp(qbuf + t.off, sbuf + st.off, t.len) == 0)
				return (1);
		}
	}
	if (any)
		return (0);
	if (q->meth != HTTP_M_GET && q->meth != HTTP_M_HEAD)
		return (0);
	if (date_field(&q->h, qbuf, "if-modified-since", &ims) < 0 ||
	    date_field(s, sbuf, "last-modified", &lm) < 0)
		return (0);
	return (lm <= ims);
}

/* Digits of p[0..n) into *v, saturating; 0 if n == 0 or not all digits. */
static int
num(const char *p, size_t n, uint64_t *v)
{
	uint64_t d;
	size_t i;

	*v = 0;
	if (n == 0)
		return (0);
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return (0);
		d = (uint64_t)(p[i] - '0');
		if (*v > (UINT64_MAX - d) / 10)
			*v = UINT64_MAX;
		else
			*v = *v * 10 + d;
	}
	return (1);
}

/* If-Range (RFC 9110 13.1.5): 1 if absent or it matches s. */
static int
if_range(const struct http_req *q, const char *qbuf,
    const struct http_head *s, const char *sbuf)
{
	struct span v, t, st;
	int64_t a, b;
	int k = field(&q->h, qbuf, "if-range", 0), w, sw;

	if (k < 0)
		return (1);
	if (field(&q->h, qbuf, "if-range", k + 1) >= 0)
		return (0);
	v = q->h.hdr[k].value;
	if (v.len > 0 && (qbuf[v.off] == '"' || qbuf[v.off] == 'W')) {
		/* strong comparison: neither may be weak */
		return (etag(qbuf, v, &t, &w) && !w &&
		    stored_etag(s, sbuf, &st, &sw) && !sw &&
		    t.len == st.len &&
		    memcmp(qbuf + t.off, sbuf + st.off, t.len) == 0);
	}
	return (http_date_parse(qbuf + v.off, v.len, &a) == 0 &&
	    date_field(s, sbuf, "last-modified", &b) == 0 && a == b);
}

enum cp_range
cp_range(const struct http_req *q, const char *qbuf,
    const struct http_head *s, const char *sbuf, uint64_t total,
    uint64_t *start, uint64_t *end)
{
	struct list l;
	struct span v, e, one = { 0, 0 };
	const char *p, *dash;
	uint64_t a, b;
	uint32_t i;
	int k = field(&q->h, qbuf, "range", 0), n = 0;

	if (k < 0 || field(&q->h, qbuf, "range", k + 1) >= 0 ||
	    q->meth != HTTP_M_GET)
		return (CP_RANGE_NONE);
	v = q->h.hdr[k].value;
	if (v.len < 6 || !eq_ci(qbuf + v.off, "bytes=", 6))
		return (CP_RANGE_NONE);
	v.off += 6;
	v.len -= 6;
	list_start(&l, qbuf, v);
	while (list_next(&l, &e)) {
		one = e;
		n++;
	}
	if (n != 1)
		return (CP_RANGE_NONE);
	p = qbuf + one.off;
	if ((dash = memchr(p, '-', one.len)) == NULL)
		return (CP_RANGE_NONE);
	i = (uint32_t)(dash - p);
	if (i == 0) {
		/* -n: the last n bytes */
		if (!num(p + 1, one.len - 1, &b) || !if_range(q, qbuf, s, sbuf))
			return (CP_RANGE_NONE);
		if (b == 0 || total == 0)
			return (CP_RANGE_UNSATISFIABLE);
		*start = b >= total ? 0 : total - b;
		*end = total - 1;
		return (CP_RANGE_OK);
	}
	if (!num(p, i, &a))
		return (CP_RANGE_NONE);
	if (i + 1 == one.len)
		b = UINT64_MAX;		/* a- */
	else if (!num(p + i + 1, one.len - i - 1, &b) || b < a)
		return (CP_RANGE_NONE);	/* invalid: ignored (14.2) */
	if (!if_range(q, qbuf, s, sbuf))
		return (CP_RANGE_NONE);
	if (a >= total)
		return (CP_RANGE_UNSATISFIABLE);
	*start = a;
	*end = b >= total ? total - 1 : b;
	return (CP_RANGE_OK);
}

/* ---- Invalidation and updates ---------------------------------------- */

/* The authority a is the request's host h, default ports aside. */
static int
same_host(const char *a, size_t an, int https, const char *h, size_t hn)
{
	an = host_len(a, an, https);
	hn = host_len(h, hn, 0);
	return (an > 0 && an == hn && eq_ci(a, h, an));
}

/* The path and query of URI reference v, if it is on q's host. */
static int
target(const char *b, struct span v, const struct http_req *q,
    const char *qbuf, struct span *out)
{
	const char *p = b + v.off, *end = p + v.len, *auth, *hash;
	int https = 0;

	if ((hash = memchr(p, '#', v.len)) != NULL)
		end = hash;
	if (end - p >= 7 && eq_ci(p, "http://", 7))
		p += 7;
	else if (end - p >= 8 && eq_ci(p, "https://", 8)) {
		p += 8;
		https = 1;
	} else if (end - p >= 2 && p[0] == '/' && p[1] == '/')
		p += 2;
	else if (p < end && p[0] == '/') {
		out->off = v.off;
		out->len = (uint32_t)(end - p);
		return (1);
	} else
		return (0);	/* relative to the request: not resolved */
	for (auth = p; p < end && *p != '/' && *p != '?'; p++)
		;
	if (p == end || *p != '/' ||
	    !same_host(auth, (size_t)(p - auth), https, qbuf + q->host.off,
	    q->host.len))
		return (0);
	out->off = (uint32_t)(p - b);
	out->len = (uint32_t)(end - p);
	return (1);
}

int
cp_invalidation_targets(const struct http_req *q, const char *qbuf,
    const struct http_resp *r, const char *rbuf, struct span out[2])
{
	static const char *const names[2] = { "location", "content-location" };
	int i, k, n = 0;

	switch (q->meth) {
	case HTTP_M_GET: case HTTP_M_HEAD: case HTTP_M_OPTIONS:
	case HTTP_M_TRACE:
		return (0);
	}
	if (r->code < 200 || r->code > 399)
		return (0);
	for (i = 0; i < 2; i++) {
		k = field(&r->h, rbuf, names[i], 0);
		if (k >= 0 && target(rbuf, r->h.hdr[k].value, q, qbuf,
		    &out[n]))
			n++;
	}
	return (n);
}

/* Fields a 304 never changes in the stored copy (RFC 9111 3.2). */
static int
kept_from_stored(const char *b, struct span n)
{
	static const char *const names[] = {
		"content-length", "transfer-encoding", "content-encoding",
		"content-range", "content-type", "set-cookie", "set-cookie2",
		NULL
	};

	return (http_span_in(b, n, names));
}

/* Whether the 304 n brings a field named like stored field name. */
static int
replaced(const struct http_resp *n, const char *nbuf, const char *sbuf,
    struct span name)
{
	int j;

	for (j = 0; j < n->h.nhdr; j++)
		if (span_eq_ci(nbuf, n->h.hdr[j].name, sbuf, name) &&
		    !kept_from_stored(nbuf, n->h.hdr[j].name) &&
		    !http_is_hop_by_hop(&n->h, nbuf, j))
			return (1);
	return (0);
}

static void
out_field(struct outbuf *o, const char *b, const struct http_hdr *h)
{
	outbuf_add(o, b + h->name.off, h->name.len);
	outbuf_add(o, ": ", 2);
	outbuf_add(o, b + h->value.off, h->value.len);
	outbuf_add(o, "\r\n", 2);
}

size_t
cp_merge_304(char *buf, size_t cap, const struct http_resp *s,
    const char *sbuf, const struct http_resp *n, const char *nbuf)
{
	struct outbuf o = { buf, cap, 0, 0 };
	char code[4];
	int i;

	outbuf_add(&o, s->h.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ", 9);
	code[0] = (char)('0' + s->code / 100 % 10);
	code[1] = (char)('0' + s->code / 10 % 10);
	code[2] = (char)('0' + s->code % 10);
	code[3] = ' ';
	outbuf_add(&o, code, 4);
	outbuf_add(&o, sbuf + s->reason.off, s->reason.len);
	outbuf_add(&o, "\r\n", 2);
	for (i = 0; i < s->h.nhdr; i++)
		if (!http_is_hop_by_hop(&s->h, sbuf, i) &&
		    !replaced(n, nbuf, sbuf, s->h.hdr[i].name))
			out_field(&o, sbuf, &s->h.hdr[i]);
	for (i = 0; i < n->h.nhdr; i++)
		if (!http_is_hop_by_hop(&n->h, nbuf, i) &&
		    !kept_from_stored(nbuf, n->h.hdr[i].name))
			out_field(&o, nbuf, &n->h.hdr[i]);
	outbuf_add(&o, "\r\n", 2);
	return (o.overflow ? 0 : o.len);
}
