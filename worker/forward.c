/*
 * Forward mode: a proxy for clients. Checks who asks (proxy
 * authentication; allow/deny ran before, in conn.c) and where to (block
 * lists, CONNECT ports, private destinations), then fetches an
 * absolute-form request through the same exchange as the reverse proxy,
 * or opens a CONNECT tunnel, directly or through a parent proxy. With
 * cache = true on the listener, plain http:// requests go through the
 * response cache first, keyed by absolute URI (worker/cache.c), after
 * the checks and before any name is resolved: a hit costs no lookup.
 * Tunnels never do: their bytes are TLS porter cannot read.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/clock.h"
#include "lib/addr.h"
#include "lib/resolve.h"
#include "lib/log.h"
#include "lib/str.h"
#include "shared/scoreboard.h"
#include "worker/answer.h"
#include "worker/cache.h"
#include "worker/forward.h"
#include "worker/fwd_rules.h"
#include "worker/io.h"
#include "worker/limit.h"
#include "worker/metrics.h"
#include "worker/proxy.h"
#include "worker/proxy_auth.h"
#include "worker/tunnel.h"
#include "worker/upstream.h"

/* Forward listeners have no header rules of their own. */
static const struct cfg_route no_route;

static int	reach(struct conn *, const struct cfg_route *, const char *,
		    int, int);

/* A refusal with porter's page naming what matched; counted as rule id. */
static int
forbid(struct conn *c, int status, const char *rule, enum ctr_rule id)
{
	char detail[600];
	int rc;

	metrics_refused(c->w, id);
	(void)snprintf(detail, sizeof(detail),
	    "porter refused this request: %s.", rule);
	rc = answer_error_page(c, status,
	    http_req_body(&c->req) != HTTP_BODY_NONE, rule, NULL, detail);
	c->rule = c->why;	/* the rule, for the access log */
	return (rc);
}

/* 407 unless the client sent credentials of a user in auth_file. */
static int
authenticate(struct conn *c)
{
	const struct cfg_forward *f = c->fwd;
	const struct http_head *h = &c->req.h;
	char user[128], extra[300];
	int i, sent = 0;

	for (i = 0; i < h->nhdr; i++) {
		if (h->hdr[i].id != HH_PROXY_AUTHORIZATION)
			continue;
		sent = 1;
		if (pauth_check(f, c->buf + h->hdr[i].value.off,
		    h->hdr[i].value.len, user, sizeof(user)) == 1) {
			(void)str_copy(c->user, sizeof(c->user), user);
			return (0);
		}
	}
	/* the client and that it failed: never what it sent */
	if (sent)
		log_warnx("%s: proxy authentication failed", c->peer);
	(void)snprintf(extra, sizeof(extra),
	    "Proxy-Authenticate: Basic realm=\"%s\"\r\n", f->auth_realm);
	metrics_refused(c->w, CTR_RULE(auth));
	c->rule = "auth_file";
	return (answer_error_page(c, 407, http_req_body(&c->req) !=
	    HTTP_BODY_NONE, "proxy authentication required", extra, NULL) ==
	    -1 ? -1 : 1);
}

/*
 * Where the request goes: host (lower case) and port from a CONNECT
 * target or an http:// absolute URI. 0, or the status to answer with
 * *why set.
 */
static int
destination(struct conn *c, char *host, size_t cap, int *port,
    const char **why)
{
	const struct http_req *q = &c->req;
	const char *t = c->buf + q->target.off;
	size_t n = q->target.len, i;

	if (q->meth == HTTP_M_CONNECT) {
		if (fwd_split_authority(t, n, 0, host, cap, port) == -1 ||
		    *port == 0) {
			*why = "CONNECT needs host:port";
			return (400);
		}
		return (0);
	}
	if (n >= 8 && strncasecmp(t, "https://", 8) == 0) {
		*why = "https:// URLs go through CONNECT";
		return (501);
	}
	if (n < 8 || strncasecmp(t, "http://", 7) != 0) {
		*why = "a proxy request needs an absolute http:// URL";
		return (400);
	}
	for (i = 7; i < n && t[i] != '/' && t[i] != '?'; i++)
		;
	if (fwd_split_authority(t + 7, i - 7, 80, host, cap, port) == -1) {
		*why = "bad host in the URL";
		return (400);
	}
	return (0);
}

/* Send CONNECT to the parent proxy on fd; 0 when it answers 2xx. */
static int
parent_connect(struct conn *c, int fd, const char *authority,
    size_t *extra, const char **why)
{
	struct worker *w = c->w;
	struct http_resp r;
	struct io io;
	char req[600];
	size_t len = 0;
	int n;
	enum http_rc rc = HTTP_AGAIN;

	io_init(&io, fd);
	n = snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n"
	    "Via: %s\r\n\r\n", authority, authority, w->via11);
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    io_write(&io, req, (size_t)n, clock_now() +
	    w->cfg->timeouts.upstream) == -1) {
		*why = "parent proxy: sending CONNECT failed";
		return (-1);
	}
	http_resp_init(&r, (uint32_t)w->ucap);
	while (rc == HTTP_AGAIN) {
		ssize_t k;

		if (len == w->ucap) {
			*why = "parent proxy: answer too large";
			return (-1);
		}
		k = io_read(&io, w->ubuf + len, w->ucap - len, clock_now() +
		    w->cfg->timeouts.upstream);
		if (k <= 0) {
			*why = "parent proxy: no answer to CONNECT";
			return (-1);
		}
		len += (size_t)k;
		http_resp_init(&r, (uint32_t)w->ucap);
		rc = http_parse_response(&r, w->ubuf, len);
	}
	if (rc == HTTP_ERROR || r.code < 200 || r.code > 299) {
		*why = "parent proxy refused CONNECT";
		return (-1);
	}
	/* what the parent sent past its head goes to the client first */
	*extra = len - r.h.head_len;
	memmove(w->ubuf, w->ubuf + r.h.head_len, *extra);
	return (0);
}

/* CONNECT: answer 200, then relay bytes both ways until one side ends. */
static int
tunnel(struct conn *c, int fd, int via_parent, const char *authority)
{
	static const char ok[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
	const char *why = NULL;
	size_t extra = 0;

	if (via_parent && parent_connect(c, fd, authority, &extra, &why) ==
	    -1) {
		(void)close(fd);
		log_error("%s: %s for %s", c->peer, why, authority);
		return (answer_error(c, 502, 1, why));
	}
	client_drop_head(c);
	c->status = 200;
	/* what a parent sent past its answer is in ubuf */
	return (proxy_tunnel(c, fd, ok, sizeof(ok) - 1, c->w->ubuf, extra));
}

int
forward_request(struct conn *c)
{
	struct worker *w = c->w;
	const struct cfg_forward *f = c->fwd;
	const struct http_req *q = &c->req;
	char host[256], rule[600], url[8192];
	const char *why = NULL;
	size_t urllen;
	int port, st, i, parent;

	if (f->nusers > 0 && (st = authenticate(c)) != 0)
		return (st == 1 ? 0 : -1);
	if ((st = destination(c, host, sizeof(host), &port, &why)) != 0)
		return (answer_error(c, st, 1, why));

	/* the rules see the URL as the client wrote it */
	urllen = q->target.len < sizeof(url) ? q->target.len : sizeof(url) - 1;
	memcpy(url, c->buf + q->target.off, urllen);
	url[urllen] = '\0';
	if (fwd_blocked(f, host, strlen(host), url, urllen, rule,
	    sizeof(rule)))
		return (forbid(c, 403, rule, ctr_rule_of(rule)));
	if (q->meth == HTTP_M_CONNECT) {
		for (i = 0; i < f->nconnect_ports; i++)
			if (f->connect_ports[i] == port)
				break;
		if (i == f->nconnect_ports) {
			(void)snprintf(rule, sizeof(rule),
			    "CONNECT to port %d is not allowed (connect_ports)",
			    port);
			return (forbid(c, 403, rule, CTR_RULE(connect_ports)));
		}
	}
	(void)snprintf(w->fwd_name, sizeof(w->fwd_name),
	    strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d", host, port);
	c->backend = w->fwd_name;

	parent = fwd_use_parent(f, host, strlen(host));
	if (q->meth != HTTP_M_CONNECT && f->cache_route.cache.on &&
	    w->cache != NULL) {
		struct cache_req cr;

		if (cache_request(c, &f->cache_route, &cr, &st)) {
			cache_end(c, &cr);
			return (st);
		}
		c->cache = &cr;
		st = reach(c, &f->cache_route, host, port, parent);
		c->cache = NULL;
		cache_end(c, &cr);
		return (st);
	}
	return (reach(c, &no_route, host, port, parent));
}

/*
 * Resolve host (or the parent), check the addresses, then tunnel or
 * fetch through rt (no rules; its cache, if on, already asked).
 */
static int
reach(struct conn *c, const struct cfg_route *rt, const char *host, int port,
    int parent)
{
	struct worker *w = c->w;
	const struct cfg_forward *f = c->fwd;
	const struct http_req *q = &c->req;
	struct addrlist all, to;
	char rule[600], tried[256];
	const char *why = NULL;
	double t0;
	int st, n, i, fd;

	/* the parent's name is looked up afresh too: it may move */
	n = resolve_host(parent ? f->parent.host : host, parent ?
	    f->parent.port : port, w->cfg->timeouts.connect, &all, &why);
	if (n <= 0) {
		(void)snprintf(rule, sizeof(rule), "the name %s could not be "
		    "resolved (%s)", parent ? f->parent.host : host, why);
		return (answer_error_page(c, n == 0 ? 502 : 504,
		    http_req_body(q) != HTTP_BODY_NONE, rule, NULL, rule));
	}
	/*
	 * The guard looks at what porter would connect to (the operator
	 * chose the parent: it may be on the local network).
	 */
	to.n = 0;
	for (i = 0; i < all.n; i++)
		if (parent || !f->deny_private ||
		    !fwd_private_addr((struct sockaddr *)&all.sa[i]))
			(void)addrlist_add(&to, (const struct sockaddr *)
			    &all.sa[i], all.len[i]);
	if (to.n == 0) {
		(void)snprintf(rule, sizeof(rule),
		    "%s is a private address (deny_private)", host);
		return (forbid(c, 403, rule, CTR_RULE(deny_private)));
	}

	if (q->meth == HTTP_M_CONNECT) {
		/* a max_tunnels place: the slot shows tunnel from here */
		if (!limit_tunnel_admit(c, &st))
			return (st);
		t0 = clock_now();
		if ((fd = upstream_connect(&to, 0, w->cfg->timeouts.connect,
		    &i, tried, sizeof(tried))) == -1) {
			why = addr_connect_why(errno);
			log_error("%s: %s %s: %s (%s)", c->peer, parent ?
			    "parent proxy for" : "server", w->fwd_name, why,
			    tried);
			return (answer_error(c, 502, 1, why));
		}
		c->up_connect = clock_now() - t0;
		return (tunnel(c, fd, parent, w->fwd_name));
	}
	c->to_parent = parent;
	return (proxy_forward(c, rt, &to, w->fwd_name));
}
