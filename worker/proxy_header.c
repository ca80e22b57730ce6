#include "config.h"

#include <sys/socket.h>

#include <string.h>

#include "lib/addr.h"
#include "lib/log.h"
#include "lib/proxyproto.h"
#include "lib/str.h"
#include "shared/scoreboard.h"
#include "worker/acl.h"
#include "worker/proxy_header.h"

int
proxy_header_allowed(struct conn *c)
{
	const struct cfg_listener *l = c->lst;

	if (acl_match(l->proxy_from, l->nproxy_from,
	    (const struct sockaddr *)&c->peer_sa))
		return (1);
	sb_add(&c->w->sb->proxy_refused, 1);
	log_info("%s: connection to %s closed: not in proxy_protocol_from",
	    c->peer, l->addr.text);
	return (0);
}

int
proxy_header_take(struct conn *c)
{
	struct pp_result r;
	const char *why;
	int n;

	memset(&r, 0, sizeof(r));
	n = pp_parse(c->buf, c->len, &r, &why);
	if (n == PP_AGAIN)
		return (0);
	if (n == PP_ERROR) {
		sb_add(&c->w->sb->proxy_refused, 1);
		log_info("%s: connection to %s closed: bad PROXY header: %s",
		    c->peer, c->lst->addr.text, why);
		return (-1);
	}
	c->len -= (size_t)n;
	memmove(c->buf, c->buf + n, c->len);
	c->pp_pending = 0;
	/* LOCAL (a balancer's own health check): the peer is the client */
	if (!r.proxied)
		return (1);
	memcpy(&c->peer_sa, &r.src, r.srclen);
	c->peer_len = r.srclen;
	memcpy(&c->local_sa, &r.dst, r.dstlen);
	c->local_len = r.dstlen;
	(void)addr_host_text((const struct sockaddr *)&c->peer_sa, c->peer,
	    sizeof(c->peer));
	(void)str_copy(c->w->sb->client, sizeof(c->w->sb->client), c->peer);
	return (1);
}

size_t
proxy_header_out(struct conn *c, int v, char *buf, size_t cap)
{
	if (c->local_len == 0) {
		socklen_t len = sizeof(c->local_sa);

		if (getsockname(c->io.fd, (struct sockaddr *)&c->local_sa,
		    &len) == -1)
			return (0);
		c->local_len = len;
	}
	return (pp_write(v, (const struct sockaddr *)&c->peer_sa,
	    (const struct sockaddr *)&c->local_sa, buf, cap));
}
