#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/outbuf.h"
#include "worker/accesslog.h"
#include "worker/client.h"

/* Room besides what the head's bytes may grow to (6 times, as \u00XX). */
#define ALOG_FIXED	16384

/* A line being written: never past cap; over once something did not fit. */
struct lb {
	char	*p;
	size_t	 n, cap;
	int	 over;
};

static void
put(struct lb *b, const char *s, size_t n)
{
	if (n > b->cap - b->n) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void
puts_(struct lb *b, const char *s)
{
	put(b, s, strlen(s));
}

static const char hex[] = "0123456789abcdef";

/*
 * Bytes that are not copied as they are, in text (escaped) or JSON
 * (escaped, or checked for UTF-8): outside 0x20-0x7e, '"', '\\'. One
 * table lookup a byte on the common path.
 */
static const unsigned char special[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x7f ... 0xff] = 1,
};

/* "\xhh", or "\u00hh" in JSON. */
static void
put_hex(struct lb *b, unsigned char c, int json)
{
	char e[6] = { '\\', json ? 'u' : 'x', '0', '0', 0, 0 };

	if (json) {
		e[4] = hex[c >> 4];
		e[5] = hex[c & 15];
		put(b, e, 6);
	} else {
		e[2] = hex[c >> 4];
		e[3] = hex[c & 15];
		put(b, e, 4);
	}
}

/*
 * Apache's ap_escape_logitem: '"' and '\' get a backslash, \b \n \r \t
 * \v their C escapes, every other byte outside 0x20-0x7e "\xhh" (lower
 * case). The same bytes come out as in Apache's Combined Log Format.
 */
static void
esc_text(struct lb *b, const char *s, size_t n)
{
	size_t i = 0, run;

	while (i < n) {
		unsigned char c;

		for (run = i; run < n && !special[(unsigned char)s[run]]; run++)
			;
		put(b, s + i, run - i);
		if ((i = run) == n)
			break;
		c = (unsigned char)s[i++];
		switch (c) {
		case '"': put(b, "\\\"", 2); break;
		case '\\': put(b, "\\\\", 2); break;
		case '\b': put(b, "\\b", 2); break;
		case '\n': put(b, "\\n", 2); break;
		case '\r': put(b, "\\r", 2); break;
		case '\t': put(b, "\\t", 2); break;
		case '\v': put(b, "\\v", 2); break;
		default: put_hex(b, c, 0); break;
		}
	}
}

/* porter's own detail field: only control bytes are escaped ("\xhh"). */
static void
esc_ctl(struct lb *b, const char *s, size_t n)
{
	size_t i = 0, run;

	while (i < n) {
		for (run = i; run < n && (unsigned char)s[run] >= 0x20 &&
		    s[run] != 0x7f; run++)
			;
		put(b, s + i, run - i);
		if ((i = run) == n)
			break;
		put_hex(b, (unsigned char)s[i++], 0);
	}
}

/*
 * The length of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or 0.
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t k, i;

	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return (0);
	if (n < k || s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < k; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return (0);
	return (k);
}

/*
 * A JSON string's inside: '"' and '\' escaped, control bytes and DEL as
 * \u00XX, well-formed UTF-8 as it is, and every byte that is not part of
 * well-formed UTF-8 as \u00XX of the byte (so the line is always valid
 * JSON and UTF-8; such a byte reads as the code point U+0080..U+00FF).
 */
static void
esc_json(struct lb *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run, k;

	while (i < n) {
		for (run = i; run < n && !special[u[run]]; run++)
			;
		put(b, s + i, run - i);
		if ((i = run) == n)
			break;
		if (u[i] == '"' || u[i] == '\\') {
			char e[2] = { '\\', (char)u[i] };

			put(b, e, 2);
			i++;
		} else if (u[i] >= 0x80 && (k = utf8_len(u + i, n - i)) > 0) {
			put(b, s + i, k);
			i += k;
		} else
			put_hex(b, u[i++], 1);
	}
}

static void
put_u64(struct lb *b, uint64_t v)
{
	char d[OUTBUF_U64_DIGITS];
	size_t i = outbuf_u64_digits(d, v);

	put(b, d + i, sizeof(d) - i);
}

/* Seconds with milliseconds: "0.002". */
static void
put_secs(struct lb *b, double s)
{
	uint64_t ms = (uint64_t)(s * 1000.0 + 0.5);
	char f[4] = { '.', 0, 0, 0 };

	put_u64(b, ms / 1000);
	f[1] = (char)('0' + ms / 100 % 10);
	f[2] = (char)('0' + ms / 10 % 10);
	f[3] = (char)('0' + ms % 10);
	put(b, f, 4);
}

/* What a field is: none ("-", null), text (escaped), or a bare number. */
enum { V_NONE, V_TEXT, V_NUM, V_SECS };

static void
put_value(struct lb *b, int json, int kind, const char *s, size_t n,
    uint64_t num, double secs)
{
	switch (kind) {
	case V_NONE:
		puts_(b, json ? "null" : "-");
		break;
	case V_TEXT:
		if (json) {
			put(b, "\"", 1);
			esc_json(b, s, n);
			put(b, "\"", 1);
		} else
			esc_text(b, s, n);
		break;
	case V_NUM:
		put_u64(b, num);
		break;
	default:
		put_secs(b, secs);
		break;
	}
}

static void
put_text(struct lb *b, int json, const char *s)
{
	if (s == NULL || s[0] == '\0')
		put_value(b, json, V_NONE, NULL, 0, 0, 0);
	else
		put_value(b, json, V_TEXT, s, strlen(s), 0, 0);
}

/*
 * A request field: every line of that name, joined with ", " as Apache
 * does; none ("-", null) if the head has no such line. An empty value is
 * "" (also as Apache does).
 */
static void
put_field(struct lb *b, int json, const struct alog_rec *r, const char *name)
{
	int i, found = 0;

	for (i = 0; r->h != NULL && i < r->h->nhdr; i++) {
		const struct http_hdr *f = &r->h->hdr[i];

		if (!http_span_eq(r->head, f->name, name))
			continue;
		if (found++)
			put(b, ", ", 2);
		else if (json)
			put(b, "\"", 1);
		(json ? esc_json : esc_text)(b, r->head + f->value.off,
		    f->value.len);
	}
	if (!found)
		put_value(b, json, V_NONE, NULL, 0, 0, 0);
	else if (json)
		put(b, "\"", 1);
}

/* The three clocks, made at most once a second per process. */
struct stamps {
	time_t	 when;
	char	 local[32];	/* "10/Oct/2000:13:55:36 -0700" */
	char	 iso[32];	/* "2000-10-10T13:55:36-07:00" */
	char	 porter[24];	/* "2000/10/10 13:55:36" */
};

static const struct stamps *
stamps(time_t now)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static struct stamps st = { -1, "", "", "" };
	struct tm tm;
	long off;
	char sign;

	if (st.when == now || localtime_r(&now, &tm) == NULL)
		return (&st);
	off = tm.tm_gmtoff / 60;
	sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	(void)strftime(st.porter, sizeof(st.porter), "%Y/%m/%d %H:%M:%S", &tm);
	(void)strftime(st.iso, sizeof(st.iso), "%Y-%m-%dT%H:%M:%S", &tm);
	(void)strftime(st.local, sizeof(st.local), "%d/---/%Y:%H:%M:%S", &tm);
	memcpy(st.local + 3, months + 3 * (tm.tm_mon % 12), 3);
	/* " -0700" and "-07:00" by hand: %z has no colon form */
	{
		char z[7] = { ' ', sign, (char)('0' + off / 600),
		    (char)('0' + off / 60 % 10), (char)('0' + off % 60 / 10),
		    (char)('0' + off % 10), 0 };
		size_t nl = strlen(st.local), ni = strlen(st.iso);

		memcpy(st.local + nl, z, 7);
		st.iso[ni] = sign;
		st.iso[ni + 1] = z[2];
		st.iso[ni + 2] = z[3];
		st.iso[ni + 3] = ':';
		st.iso[ni + 4] = z[4];
		st.iso[ni + 5] = z[5];
		st.iso[ni + 6] = '\0';
	}
	st.when = now;
	return (&st);
}

static void
put_op(struct lb *b, const struct cfg_log_format *f,
    const struct cfg_log_op *o, const struct alog_rec *r)
{
	int json = f->json;
	uint64_t body = r->sent > r->head_sent ? r->sent - r->head_sent : 0;
	const char *t;

	switch (o->field) {
	case CFG_LF_TEXT:
		put(b, f->text + o->off, o->len);
		break;
	case CFG_LF_REMOTE_ADDR:
		put_text(b, json, r->remote_addr);
		break;
	case CFG_LF_REMOTE_USER:
		put_text(b, json, r->remote_user);
		break;
	case CFG_LF_TIME_LOCAL:
		t = stamps(r->now)->local;
		put_value(b, json, V_TEXT, t, strlen(t), 0, 0);
		break;
	case CFG_LF_TIME_ISO8601:
		t = stamps(r->now)->iso;
		put_value(b, json, V_TEXT, t, strlen(t), 0, 0);
		break;
	case CFG_LF_PORTER_TIME:
		puts_(b, stamps(r->now)->porter);
		break;
	case CFG_LF_REQUEST:
		put_value(b, json, r->request_len > 0 ? V_TEXT : V_NONE,
		    r->request, r->request_len, 0, 0);
		break;
	case CFG_LF_PORTER_REQUEST:
		esc_text(b, r->porter_request, r->porter_request_len);
		break;
	case CFG_LF_STATUS:
		put_u64(b, (uint64_t)(r->status > 0 ? r->status : 0));
		break;
	case CFG_LF_BODY_BYTES_SENT:
		put_u64(b, body);
		break;
	case CFG_LF_CLF_BYTES:
		if (body == 0)
			put(b, "-", 1);
		else
			put_u64(b, body);
		break;
	case CFG_LF_BYTES_SENT:
		put_u64(b, r->sent);
		break;
	case CFG_LF_BYTES_RECEIVED:
		put_u64(b, r->received);
		break;
	case CFG_LF_HTTP_REFERER:
		put_field(b, json, r, "Referer");
		break;
	case CFG_LF_HTTP_USER_AGENT:
		put_field(b, json, r, "User-Agent");
		break;
	case CFG_LF_REQUEST_TIME:
		put_secs(b, r->request_time > 0 ? r->request_time : 0);
		break;
	case CFG_LF_UPSTREAM_ADDR:
		put_text(b, json, r->upstream_addr);
		break;
	case CFG_LF_UPSTREAM_STATUS:
		put_value(b, json, r->upstream_status > 0 ? V_NUM : V_NONE,
		    NULL, 0, (uint64_t)r->upstream_status, 0);
		break;
	case CFG_LF_UPSTREAM_CONNECT_TIME:
		put_value(b, json, r->up_connect >= 0 ? V_SECS : V_NONE,
		    NULL, 0, 0, r->up_connect);
		break;
	case CFG_LF_UPSTREAM_HEADER_TIME:
		put_value(b, json, r->up_header >= 0 ? V_SECS : V_NONE,
		    NULL, 0, 0, r->up_header);
		break;
	case CFG_LF_CACHE_STATUS:
		put_text(b, json, r->cache_status);
		break;
	case CFG_LF_REQUEST_ID:
		put_text(b, json, r->request_id);
		break;
	case CFG_LF_RULE:
		put_text(b, json, r->rule);
		break;
	case CFG_LF_LISTENER:
		put_text(b, json, r->listener);
		break;
	case CFG_LF_WORKER:
		put_u64(b, (uint64_t)(r->worker > 0 ? r->worker : 0));
		break;
	case CFG_LF_DETAIL:
		put_text(b, json, r->detail);
		break;
	case CFG_LF_PORTER_DETAIL:
		if (r->detail != NULL && r->detail[0] != '\0') {
			put(b, " ", 1);
			esc_ctl(b, r->detail, strlen(r->detail));
		}
		break;
	default:
		break;
	}
}

size_t
alog_render(const struct cfg_log_format *f, const struct alog_rec *r,
    char *buf, size_t cap)
{
	struct lb b = { buf, 0, cap > 0 ? cap - 1 : 0, 0 };
	int i;

	if (cap == 0)
		return (0);
	for (i = 0; i < f->nops && !b.over; i++)
		put_op(&b, f, &f->ops[i], r);
	buf[b.n++] = '\n';	/* room kept: cap - 1 above */
	return (b.n);
}

size_t
alog_line_max(size_t max_head)
{
	return (6 * max_head + ALOG_FIXED);
}

int
alog_init(struct worker *w)
{
	const struct cfg *cfg = w->cfg;
	int i, j, on = cfg->access_to >= 0;

	for (i = 0; i < cfg->nlisteners; i++) {
		on |= cfg->listeners[i].access_to >= 0;
		for (j = 0; j < cfg->listeners[i].nroutes; j++)
			on |= cfg->listeners[i].routes[j].access_to >= 0;
	}
	if (!on)
		return (0);
	w->lcap = alog_line_max(cfg->limits.max_header_size);
	if ((w->lbuf = malloc(w->lcap)) == NULL ||
	    (w->head_copy = malloc(cfg->limits.max_header_size)) == NULL)
		return (-1);
	return (0);
}

/* The first line of what the client sent, for a head that did not parse. */
static const char *
raw_line(const char *p, size_t n, size_t *len)
{
	size_t i = 0, e;

	while (i < n && (p[i] == '\r' || p[i] == '\n'))
		i++;
	for (e = i; e < n && p[e] != '\r' && p[e] != '\n'; e++)
		;
	*len = e - i;
	return (p + i);
}

void
alog_request(const struct conn *c, const char *line, double start)
{
	const struct worker *w = c->w;
	const struct cfg *cfg = w->cfg;
	const struct http_req *q = &c->req;
	struct alog_rec r;
	int to = c->route != NULL ? c->route->access_to : c->lst->access_to;
	int fmt = c->route != NULL ? c->route->access_format :
	    c->lst->access_format;
	size_t n;

	if (to < 0 || w->lbuf == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.now = time(NULL);
	r.remote_addr = c->peer;
	r.remote_user = c->user;
	if (c->parsed) {
		r.head = c->head_done ? w->head_copy : c->buf;
		r.h = &q->h;
		r.request = r.head + q->method.off;
		r.request_len = q->target.off + q->target.len + 9 -
		    q->method.off;
	} else
		r.request = raw_line(c->buf, c->len, &r.request_len);
	if (line != NULL) {
		r.porter_request = line;
		r.porter_request_len = strlen(line);
	} else {
		r.porter_request = r.request;
		r.porter_request_len = r.request_len < 511 ? r.request_len :
		    511;
	}
	r.status = c->status;
	r.sent = c->sent;
	r.head_sent = c->head_sent;
	r.received = c->received;
	r.request_time = clock_now() - start;
	r.up_connect = c->up_connect;
	r.up_header = c->up_header;
	r.upstream_addr = c->backend;
	r.upstream_status = c->up_status;
	r.cache_status = c->cache_status;
	r.request_id = c->request_id;
	r.rule = c->rule;
	r.listener = c->lst->addr.text;
	r.worker = (long)w->sb->pid;
	r.detail = c->why;
	n = alog_render(&cfg->log_formats[fmt], &r, w->lbuf, w->lcap);
	log_sink_write(to, w->lbuf, n);
}
