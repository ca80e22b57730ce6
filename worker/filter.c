#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "worker/acl.h"
#include "worker/filter.h"

/* The value of header i, NUL-terminated in scratch (cut if too long). */
static const char *
value_of(const struct filter_req *r, int i)
{
	struct span v = r->req->h.hdr[i].value;
	size_t n = v.len < r->scratch_len - 1 ? v.len : r->scratch_len - 1;

	memcpy(r->scratch, r->buf + v.off, n);
	r->scratch[n] = '\0';
	return (r->scratch);
}

/* Whether a field named h->name is present and (if asked) matches. */
static int
header_matches(const struct filter_req *r, const struct cfg_hdr_rule *h)
{
	const struct http_head *hd = &r->req->h;
	int i;

	for (i = 0; i < hd->nhdr; i++) {
		if (!http_span_eq(r->buf, hd->hdr[i].name, h->name))
			continue;
		if (h->pattern == NULL ||
		    regexec(&h->re, value_of(r, i), 0, NULL, 0) == 0)
			return (1);
	}
	return (0);
}

/* "require_headers X-Api-Key" or "deny_headers User-Agent \"BadBot\"" */
static void
describe(char *why, size_t whylen, const char *setting,
    const struct cfg_hdr_rule *h)
{
	if (h->pattern != NULL)
		(void)snprintf(why, whylen, "%s %s \"%s\"", setting, h->name,
		    h->pattern);
	else
		(void)snprintf(why, whylen, "%s %s", setting, h->name);
}

static int
method_listed(const struct cfg_filter *f, const struct filter_req *r)
{
	struct span m = r->req->method;
	int i;

	for (i = 0; i < f->nmethods; i++)
		if (strlen(f->methods[i]) == m.len &&
		    memcmp(f->methods[i], r->buf + m.off, m.len) == 0)
			return (1);	/* methods are case-sensitive */
	return (0);
}

int
filter_check(const struct cfg_filter *f, const struct filter_req *r,
    char *why, size_t whylen)
{
	int i;

	if (f->ndeny > 0 && acl_match(f->deny, f->ndeny, r->peer)) {
		(void)snprintf(why, whylen, "deny: client address");
		return (403);
	}
	if (f->nallow > 0 && !acl_match(f->allow, f->nallow, r->peer)) {
		(void)snprintf(why, whylen, "allow: client not listed");
		return (403);
	}
	if (f->nmethods > 0 && !method_listed(f, r)) {
		(void)snprintf(why, whylen, "methods: %.*s not allowed",
		    (int)r->req->method.len, r->buf + r->req->method.off);
		return (405);
	}
	for (i = 0; i < f->ndeny_paths; i++)
		if (regexec(&f->deny_paths[i], r->path, 0, NULL, 0) == 0) {
			(void)snprintf(why, whylen, "deny_paths \"%s\"",
			    f->deny_paths_src[i]);
			return (403);
		}
	for (i = 0; i < f->nrequire_headers; i++)
		if (!header_matches(r, &f->require_headers[i])) {
			describe(why, whylen, "require_headers",
			    &f->require_headers[i]);
			return (403);
		}
	for (i = 0; i < f->ndeny_headers; i++)
		if (header_matches(r, &f->deny_headers[i])) {
			describe(why, whylen, "deny_headers", &f->deny_headers[i]);
			return (403);
		}
	return (0);
}

void
filter_allow_header(const struct cfg_filter *f, char *dst, size_t len)
{
	size_t n = 0;
	int i;

	dst[0] = '\0';
	for (i = 0; i < f->nmethods; i++) {
		int k = snprintf(dst + n, len - n, "%s%s", i ? ", " : "",
		    f->methods[i]);

		if (k < 0 || (size_t)k >= len - n)
			break;
		n += (size_t)k;
	}
}
