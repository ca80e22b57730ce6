#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "shared/jobs.h"
#include "shared/purge.h"
#include "shared/store.h"
#include "worker/acl.h"
#include "worker/answer.h"
#include "worker/cache.h"
#include "worker/cache_policy.h"
#include "worker/io.h"
#include "worker/normalize.h"
#include "worker/purge_http.h"
#include "worker/route.h"
#include "worker/state.h"
#include "worker/status_html.h"

#define PURGE_ARG_MAX	2048	/* a decoded url=, prefix= or tag= */
#define PURGE_FORM_MAX	4096	/* a status page form's body */
#define PURGE_EXTRA	"Cache-Control: no-store\r\n"

/* What a purge asks for, from either listener. */
struct purge_ask {
	int		 soft;
	const char	*url;		/* status: an absolute URL */
	const char	*prefix;	/* a path, or (status) an absolute URL */
	size_t		 prefixlen;
	const char	*tag;
	size_t		 taglen;
	const char	*host;		/* PURGE: the Host */
	size_t		 hostlen;
};

int
purge_http_is(const struct conn *c)
{
	const struct span m = c->req.method;

	return (m.len == 5 && memcmp(c->buf + m.off, "PURGE", 5) == 0);
}

static int
send_json(struct conn *c, int status, int closing, const char *why,
    const char *body, const char *extra)
{
	struct respond r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.keepalive = c->keepalive && !closing;
	r.body = body;
	r.blen = strlen(body);
	r.ctype = "application/json";
	r.extra = extra != NULL ? extra : PURGE_EXTRA;
	c->status = status;
	c->why = why;
	return (answer_send(c, &r));
}

/* A browser's form: back to the status page, which it then reloads. */
static int
send_back(struct conn *c, int closing, const char *base, const char *why,
    const char *body)
{
	return (answer_see_other(c, closing, why, base, PURGE_EXTRA,
	    "application/json", body));
}

/*
 * The leading fields of every key of host whose path starts with
 * path[0..pathlen) ("G\0http\0host\0path"). Length, or 0.
 */
static size_t
key_prefix(const char *host, size_t hostlen, const char *path,
    size_t pathlen, char *out, size_t cap)
{
	struct cp_key k;
	size_t n, i, fields = 0;

	memset(&k, 0, sizeof(k));
	k.meth = HTTP_M_GET;
	k.host = host;
	k.hostlen = hostlen;
	k.path = path;
	k.pathlen = pathlen;
	if ((n = cp_key_build(out, cap, &k)) == 0)
		return (0);
	for (i = 0; i < n && fields < 3; i++)
		if (out[i] == '\0')
			fields++;
	if (fields < 3 || i + pathlen > n)
		return (0);
	return (i + pathlen);
}

/* "/path" normalised into out (NUL-terminated): its length, or -1. */
static long
norm_prefix(const char *p, size_t n, char *out, size_t cap)
{
	if (n == 0 || p[0] != '/' || n + 1 > cap || memchr(p, '?', n) != NULL)
		return (-1);
	return (norm_path(p, n, out, 1, NULL));
}

static const char *
kind_name(int k)
{
	switch (k) {
	case JOB_PURGE_PREFIX:
		return ("purge_prefix");
	case JOB_PURGE_TAG:
		return ("purge_tag");
	case JOB_REFRESH:
		return ("refresh");
	case JOB_SWEEP:
		return ("sweep");
	}
	return ("none");
}

static const char *
state_name(int s)
{
	switch (s) {
	case JOB_QUEUED:
		return ("queued");
	case JOB_RUNNING:
		return ("running");
	case JOB_DONE:
		return ("done");
	case JOB_DROPPED:
		return ("dropped");
	}
	return ("free");
}

/* Queue s: 202 with its id, or 503 (no job table, or it is full). */
static int
queue(struct conn *c, struct job_spec *s, int closing, const char *base)
{
	struct jobs *jb = shm_jobs(c->w->shm);
	char body[160], extra[200];
	uint64_t id;

	if (jb == NULL)
		return (send_json(c, 503, closing, "purge: no job table",
		    "{\"error\":\"no job table (no cache)\"}\n", NULL));
	if ((id = jobs_add(jb, s, NULL)) == 0)
		return (send_json(c, 503, closing, "purge: job table full",
		    "{\"error\":\"the job table is full; try again\"}\n",
		    PURGE_EXTRA "Retry-After: 1\r\n"));
	log_info("%s: purge %s queued as job %" PRIu64, c->peer,
	    kind_name(s->kind), id);
	(void)snprintf(body, sizeof(body), "{\"job\":%" PRIu64 ",\"kind\":"
	    "\"%s\",\"state\":\"queued\",\"soft\":%s}\n", id,
	    kind_name(s->kind), (s->flags & JOB_F_SOFT) ? "true" : "false");
	if (base != NULL)
		return (send_back(c, closing, base, "purge: job queued", body));
	(void)snprintf(extra, sizeof(extra), "%sPurge-Job: %" PRIu64 "\r\n",
	    PURGE_EXTRA, id);
	return (send_json(c, 202, closing, "purge: job queued", body, extra));
}

/* The answer to a purge by URL that removed (or marked) n. */
static int
url_done(struct conn *c, uint64_t n, int soft, int closing, const char *base)
{
	char body[96];

	(void)snprintf(body, sizeof(body), "{\"purged\":%" PRIu64 ",\"soft\":"
	    "%s}\n", n, soft ? "true" : "false");
	if (base != NULL)
		return (send_back(c, closing, base, "purge: url", body));
	return (send_json(c, n > 0 ? 200 : 404, closing, n > 0 ?
	    "purge: url" : "purge: url not cached", body, NULL));
}

/* A tag purge, or 400 for a value that is not one tag. */
static int
ask_tag(struct conn *c, const struct purge_ask *a, int closing,
    const char *base)
{
	struct job_spec s;
	size_t i;

	for (i = 0; i < a->taglen; i++)
		if (a->tag[i] == ' ' || a->tag[i] == '\t' || a->tag[i] == ',')
			break;
	if (a->taglen == 0 || i < a->taglen)
		return (send_json(c, 400, closing, "purge: bad tag",
		    "{\"error\":\"name one tag (no spaces or commas)\"}\n",
		    NULL));
	purge_spec_tag(&s, purge_tag_hash(a->tag, a->taglen), a->soft,
	    store_now_ms());
	return (queue(c, &s, closing, base));
}

/*
 * A prefix purge: a->prefix is a path (bound to a->host, or any host
 * when a->host is NULL) or an absolute URL.
 */
static int
ask_prefix(struct conn *c, const struct purge_ask *a, int closing,
    const char *base)
{
	struct cache_work *cw = c->w->cache;
	struct job_spec s;
	const char *p = a->prefix, *host = a->host, *slash;
	size_t n = a->prefixlen, hostlen = a->hostlen, klen;
	char path[JOB_DATA_MAX];
	long plen;

	if (n > 7 && memcmp(p, "http://", 7) == 0) {
		host = p + 7;
		if ((slash = memchr(host, '/', n - 7)) == NULL)
			slash = p + n;
		hostlen = (size_t)(slash - host);
		n -= (size_t)(slash - p);
		p = slash;
		if (n == 0) {
			p = "/";
			n = 1;
		}
	}
	if ((plen = norm_prefix(p, n, path, sizeof(path))) < 0)
		return (send_json(c, 400, closing, "purge: bad prefix",
		    "{\"error\":\"the prefix is a path: /...\"}\n", NULL));
	if (host != NULL) {
		klen = key_prefix(host, hostlen, path, (size_t)plen, cw->key,
		    sizeof(cw->key));
		if (klen == 0 || purge_spec_prefix(&s, cw->key, NULL, klen,
		    a->soft, store_now_ms()) == -1)
			return (send_json(c, 400, closing, "purge: prefix too "
			    "long", "{\"error\":\"prefix too long\"}\n",
			    NULL));
	} else if (purge_spec_prefix(&s, NULL, path, (size_t)plen, a->soft,
	    store_now_ms()) == -1)
		return (send_json(c, 400, closing, "purge: prefix too long",
		    "{\"error\":\"prefix too long\"}\n", NULL));
	return (queue(c, &s, closing, base));
}

/* The job named by id[0..idlen) (decimal) as JSON. */
static int
job_answer(struct conn *c, const char *id, size_t idlen, int closing)
{
	struct jobs *jb = shm_jobs(c->w->shm);
	struct job_view v;
	char body[256];
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < idlen && i < 20; i++) {
		if (id[i] < '0' || id[i] > '9')
			break;
		n = n * 10 + (uint64_t)(id[i] - '0');
	}
	if (idlen == 0 || i < idlen || jb == NULL || n == 0 ||
	    jobs_get(jb, n, &v) == -1)
		return (send_json(c, 404, closing, "purge: no such job",
		    "{\"error\":\"no such job\"}\n", NULL));
	(void)snprintf(body, sizeof(body), "{\"job\":%" PRIu64 ",\"kind\":"
	    "\"%s\",\"state\":\"%s\",\"purged\":%" PRIu64 ",\"queued_ms\":"
	    "%" PRId64 ",\"done_ms\":%" PRId64 "}\n", v.id, kind_name(v.kind),
	    state_name(v.state), v.result, v.queued_ms, v.done_ms);
	return (send_json(c, 200, closing, "purge: job", body, NULL));
}

int
purge_http_job(struct conn *c, const char *id, size_t idlen, int closing)
{
	return (job_answer(c, id, idlen, closing));
}

int
purge_http_request(struct conn *c)
{
	const struct cfg_listener *l = c->lst;
	struct cache_work *cw = c->w->cache;
	const struct http_head *q = &c->req.h;
	const struct cfg_route *rt;
	struct purge_ask a;
	const char *v, *host;
	size_t vlen, hostlen;
	uint32_t klen;
	uint64_t n;
	int closing = http_req_body(&c->req) != HTTP_BODY_NONE;

	if (!l->purge)
		return (answer_error_with(c, 405, closing, "purge: not on "
		    "this listener (no purge_allow)", "Allow: GET, HEAD, "
		    "POST, PUT, DELETE, OPTIONS, TRACE, PATCH\r\n"));
	if (!acl_match(l->purge_allow, l->npurge_allow,
	    (const struct sockaddr *)&c->peer_sa)) {
		if (cw != NULL)
			store_count(cw->st, STORE_C_PURGE_REFUSED);
		return (answer_error(c, 403, closing, "purge: client not in "
		    "purge_allow"));
	}
	if (cw == NULL)
		return (send_json(c, 404, closing, "purge: no cache",
		    "{\"purged\":0,\"error\":\"no cache\"}\n", NULL));
	memset(&a, 0, sizeof(a));
	if ((v = http_field_value(q, c->buf, "Purge-Method", &vlen)) != NULL) {
		if (vlen == 4 && strncasecmp(v, "soft", 4) == 0)
			a.soft = 1;
		else if (!(vlen == 4 && strncasecmp(v, "hard", 4) == 0))
			return (send_json(c, 400, closing, "purge: bad "
			    "Purge-Method", "{\"error\":\"Purge-Method is "
			    "soft or hard\"}\n", NULL));
	}
	host = c->req.host.len > 0 ? c->buf + c->req.host.off : "";
	hostlen = c->req.host.len;
	if ((v = http_field_value(q, c->buf, "Purge-Job",
	    &vlen)) != NULL)
		return (job_answer(c, v, vlen, closing));
	if ((v = http_field_value(q, c->buf, "Purge-Tag",
	    &vlen)) != NULL) {
		a.tag = v;
		a.taglen = vlen;
		return (ask_tag(c, &a, closing, NULL));
	}
	if ((v = http_field_value(q, c->buf, "Purge-Prefix",
	    &vlen)) != NULL) {
		a.prefix = v;
		a.prefixlen = vlen;
		a.host = host;
		a.hostlen = hostlen;
		return (ask_prefix(c, &a, closing, NULL));
	}
	/* the URL itself: its route, as a GET would find it */
	rt = route_match(l, host, hostlen, c->npath, c->npathlen);
	if (rt == NULL || !rt->cache.on)
		return (send_json(c, 404, closing, "purge: no cache route",
		    "{\"purged\":0,\"error\":\"no cache route for this "
		    "URL\"}\n", NULL));
	klen = cache_route_key(rt, host, hostlen, c->npath, c->npathlen,
	    c->query.len > 1 ? c->buf + c->query.off + 1 : NULL,
	    c->query.len > 1 ? c->query.len - 1 : 0, &c->req, c->buf,
	    cw->key, sizeof(cw->key));
	if (klen == 0)
		return (send_json(c, 404, closing, "purge: key too long",
		    "{\"purged\":0}\n", NULL));
	n = store_purge_key(cw->st, cache_key_hash(cw->key, klen), cw->key,
	    klen, a.soft, store_now_ms());
	log_info("%s: purge%s %.*s%.*s: %" PRIu64, c->peer, a.soft ?
	    " (soft)" : "", (int)hostlen, host, (int)c->npathlen, c->npath,
	    n);
	return (url_done(c, n, a.soft, closing, NULL));
}

/* ---- the status listener --------------------------------------------- */

/* Parameter name of an x-www-form-urlencoded string, decoded into out
   ('+' is a space): its length, or -1 (absent, bad, too long). */
static long
param(const char *q, size_t qlen, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name), k = 0;
	const char *end = q + qlen, *v = NULL, *stop = NULL;

	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));

		stop = amp != NULL ? amp : end;
		if ((size_t)(stop - q) >= n && memcmp(q, name, n) == 0 &&
		    (q + n == stop || q[n] == '=')) {
			v = q + n == stop ? stop : q + n + 1;
			break;
		}
		q = stop + (amp != NULL);
	}
	if (v == NULL)
		return (-1);
	for (; v < stop; v++) {
		int ch = (unsigned char)*v;

		if (ch == '+')
			ch = ' ';
		else if (ch == '%') {
			int hi, lo;

			if (stop - v < 3)
				return (-1);
			hi = norm_hexval((unsigned char)v[1]);
			lo = norm_hexval((unsigned char)v[2]);
			if (hi < 0 || lo < 0)
				return (-1);
			ch = hi * 16 + lo;
			v += 2;
		}
		if (ch == '\0' || k + 1 >= cap)
			return (-1);
		out[k++] = (char)ch;
	}
	out[k] = '\0';
	return ((long)k);
}

/*
 * A purge by URL from the status listener: for every reverse listener,
 * the route a GET of url would take, if it caches. Key headers are not
 * known here: routes with cache_key_headers are purged by PURGE on their
 * own listener (or by prefix). -1 for a URL that is not http://host/path.
 */
static int
url_all(struct conn *c, const char *url, int soft, uint64_t *n)
{
	const struct cfg *cfg = c->w->cfg;
	struct cache_work *cw = c->w->cache;
	const char *host, *p, *q;
	char path[PURGE_ARG_MAX];
	size_t hostlen;
	uint32_t klen;
	long plen;
	int i;

	*n = 0;
	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return (-1);
	if ((p = strchr(host, '/')) == NULL) {
		hostlen = strlen(host);
		p = "/";
	} else
		hostlen = (size_t)(p - host);
	if ((q = strchr(p, '?')) == NULL)
		q = p + strlen(p);
	if (hostlen == 0 || (size_t)(q - p) >= sizeof(path) ||
	    (plen = norm_path(p, (size_t)(q - p), path, 1, NULL)) < 0)
		return (-1);
	for (i = 0; i < cfg->nlisteners; i++) {
		const struct cfg_listener *l = &cfg->listeners[i];
		const struct cfg_route *rt;

		if (l->mode != CFG_MODE_REVERSE ||
		    (rt = route_match(l, host, hostlen, path,
		    (size_t)plen)) == NULL || !rt->cache.on)
			continue;
		klen = cache_route_key(rt, host, hostlen, path, (size_t)plen,
		    *q == '?' && q[1] != '\0' ? q + 1 : NULL,
		    *q == '?' && q[1] != '\0' ? strlen(q + 1) : 0, NULL, NULL,
		    cw->key, sizeof(cw->key));
		if (klen > 0)
			*n += store_purge_key(cw->st, cache_key_hash(cw->key,
			    klen), cw->key, klen, soft, store_now_ms());
	}
	return (0);
}

int
purge_http_status(struct conn *c, const char *base, const char *query,
    size_t qlen, int closing)
{
	const struct http_req *q = &c->req;
	char form[PURGE_FORM_MAX], arg[PURGE_ARG_MAX], tmp[8];
	const char *args = query, *back = NULL;
	size_t alen = qlen, have;
	struct purge_ask a;
	uint64_t n;
	long k;
	int html = status_html_accept(c->buf, &q->h) == STATUS_HTML;

	if (c->w->cache == NULL)
		return (send_json(c, 404, closing, "purge: no cache",
		    "{\"error\":\"no cache\"}\n", NULL));
	/* a form's fields come in its body: small, read here */
	if (http_req_body(q) == HTTP_BODY_LENGTH && q->h.content_length > 0) {
		if (q->h.content_length > PURGE_FORM_MAX)
			return (send_json(c, 413, 1, "purge: form too big",
			    "{\"error\":\"form too big\"}\n", NULL));
		alen = (size_t)q->h.content_length;
		have = c->len - q->h.head_len < alen ? c->len -
		    q->h.head_len : alen;
		memcpy(form, c->buf + q->h.head_len, have);
		while (have < alen) {
			ssize_t r = io_read(&c->io, form + have, alen - have,
			    clock_now() + c->w->cfg->timeouts.client_body);

			if (r <= 0)
				return (send_json(c, 400, 1, "purge: form "
				    "body cut", "{\"error\":\"form body "
				    "cut\"}\n", NULL));
			have += (size_t)r;
		}
		args = form;
		closing = 1;
	}
	if (html)
		back = base;
	memset(&a, 0, sizeof(a));
	a.soft = param(args, alen, "soft", tmp, sizeof(tmp)) >= 0 &&
	    strcmp(tmp, "0") != 0 && strcmp(tmp, "false") != 0;
	if ((k = param(args, alen, "tag", arg, sizeof(arg))) > 0) {
		a.tag = arg;
		a.taglen = (size_t)k;
		return (ask_tag(c, &a, closing, back));
	}
	if ((k = param(args, alen, "prefix", arg, sizeof(arg))) > 0) {
		a.prefix = arg;
		a.prefixlen = (size_t)k;
		return (ask_prefix(c, &a, closing, back));
	}
	if ((k = param(args, alen, "url", arg, sizeof(arg))) > 0) {
		if (url_all(c, arg, a.soft, &n) == -1)
			return (send_json(c, 400, closing, "purge: bad url",
			    "{\"error\":\"url is http://host/path\"}\n",
			    NULL));
		log_info("%s: status page: purge%s %s: %" PRIu64, c->peer,
		    a.soft ? " (soft)" : "", arg, n);
		return (url_done(c, n, a.soft, closing, back));
	}
	return (send_json(c, 400, closing, "purge: nothing named",
	    "{\"error\":\"name url=, prefix= or tag=\"}\n", NULL));
}
