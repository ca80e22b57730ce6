#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "shared/scoreboard.h"
#include "worker/answer.h"

/* The operator's page for status: the listener's, else the global one. */
static const struct cfg_error_page *
error_page(const struct conn *c, int status)
{
	const struct cfg *cfg = c->w->cfg;
	int i;

	for (i = 0; i < c->lst->nerror_pages; i++)
		if (c->lst->error_pages[i].status == status)
			return (&c->lst->error_pages[i]);
	for (i = 0; i < cfg->nerror_pages; i++)
		if (cfg->error_pages[i].status == status)
			return (&cfg->error_pages[i]);
	return (NULL);
}

int
answer_send(struct conn *c, struct respond *r)
{
	size_t head = 0;
	long n;

	r->http10_ka = r->keepalive && c->req.h.version == 10;
	r->head = c->req.meth == HTTP_M_HEAD;
	r->request_id = c->request_id;
	n = respond_send(&c->io, r, clock_now() + c->w->cfg->timeouts.client_body,
	    &head);
	if (n < 0)
		return (-1);
	c->sent += (uint64_t)n;
	c->head_sent += head;
	sb_add(&c->w->sb->bytes_out, (uint64_t)n);
	return (r->keepalive ? 0 : -1);
}

int
answer_see_other(struct conn *c, int closing, const char *why,
    const char *location, const char *extra, const char *ctype,
    const char *body)
{
	char fields[1024];
	struct respond r;
	int n;

	n = snprintf(fields, sizeof(fields), "%sLocation: %s\r\n", extra,
	    location);
	if (n < 0 || (size_t)n >= sizeof(fields))
		return (answer_error(c, 500, 1, "303: Location too long"));
	memset(&r, 0, sizeof(r));
	r.status = 303;
	r.keepalive = c->keepalive && !closing;
	r.body = body;
	r.blen = strlen(body);
	r.ctype = ctype;
	r.extra = fields;
	c->status = 303;
	c->why = why;
	return (answer_send(c, &r));
}

int
answer_error_with(struct conn *c, int status, int closing, const char *why,
    const char *extra)
{
	return (answer_error_page(c, status, closing, why, extra, NULL));
}

int
answer_error_page(struct conn *c, int status, int closing, const char *why,
    const char *extra, const char *detail)
{
	const struct cfg_error_page *page = error_page(c, status);
	struct respond r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.keepalive = c->keepalive && !closing;
	r.extra = extra;
	r.detail = detail;
	if (page != NULL) {
		r.body = page->body;
		r.blen = page->len;
	}
	c->status = status;
	/* callers pass rule texts from their stack: keep a copy for the log */
	(void)str_copy(c->why_buf, sizeof(c->why_buf), why);
	c->why = c->why_buf;
	log_info("%s: %d %s: %s", c->peer, status, respond_reason(status),
	    why);
	return (answer_send(c, &r));
}

int
answer_error(struct conn *c, int status, int closing, const char *why)
{
	return (answer_error_with(c, status, closing, why, NULL));
}
