#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "worker/respond.h"

struct status_text {
	int		 code;
	const char	*reason;
	const char	*detail;	/* says what, never internal addresses */
};

static const struct status_text texts[] = {
	/* for routes that answer by themselves (return = { ... }) */
	{ 200, "OK", "" },
	{ 201, "Created", "" },
	{ 204, "No Content", "" },
	{ 301, "Moved Permanently", "" },
	{ 302, "Found", "" },
	{ 303, "See Other", "" },
	{ 304, "Not Modified", "" },
	{ 307, "Temporary Redirect", "" },
	{ 308, "Permanent Redirect", "" },
	{ 401, "Unauthorized", "Authentication is required." },
	{ 410, "Gone", "This resource is no longer available." },
	{ 451, "Unavailable For Legal Reasons", "This resource is not available." },
	/* porter's own errors */
	{ 400, "Bad Request", "The request could not be understood." },
	{ 403, "Forbidden", "Access to this resource is not allowed." },
	{ 404, "Not Found", "No service is configured for this address." },
	{ 405, "Method Not Allowed", "This method is not allowed here." },
	{ 407, "Proxy Authentication Required",
	    "This proxy needs a user name and password." },
	{ 408, "Request Timeout", "The request took too long to arrive." },
	{ 413, "Content Too Large", "The request body is too large." },
	{ 414, "URI Too Long", "The request target is too long." },
	{ 417, "Expectation Failed", "The expectation cannot be met." },
	{ 429, "Too Many Requests", "Too many requests; try again later." },
	{ 431, "Request Header Fields Too Large",
	    "The request header section is too large." },
	{ 500, "Internal Server Error", "The proxy failed to handle the request." },
	{ 501, "Not Implemented", "The proxy does not support this request." },
	{ 502, "Bad Gateway", "The proxy could not get a valid response from a backend server." },
	{ 503, "Service Unavailable", "No backend server is available." },
	{ 504, "Gateway Timeout", "A backend server did not answer in time." },
	{ 505, "HTTP Version Not Supported", "Only HTTP/1.0 and HTTP/1.1 are supported." },
	{ 508, "Loop Detected", "The request came back to this proxy: a forwarding loop." },
};

static const struct status_text *
lookup(int status)
{
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].code == status)
			return (&texts[i]);
	return (NULL);
}

const char *
respond_reason(int status)
{
	const struct status_text *t = lookup(status);

	return (t != NULL ? t->reason : "Error");
}

const char *
respond_date(void)
{
	static char buf[40];
	static time_t last = -1;
	time_t now = time(NULL);
	struct tm tm;

	if (now != last && gmtime_r(&now, &tm) != NULL) {
		(void)strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT",
		    &tm);
		last = now;
	}
	return (buf);
}

/* s into dst as HTML text, cut to fit; always NUL-terminated. */
static void
html_escape(const char *s, char *dst, size_t cap)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		const char *e = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" :
		    *s == '&' ? "&amp;" : *s == '"' ? "&quot;" : NULL;
		size_t k = e != NULL ? strlen(e) : 1;

		if (n + k >= cap)
			break;
		if (e != NULL)
			memcpy(dst + n, e, k);
		else
			dst[n] = *s;
		n += k;
	}
	dst[n] = '\0';
}

long
respond_send(struct io *io, const struct respond *r, double deadline,
    size_t *head)
{
	const struct status_text *t = lookup(r->status);
	const char *reason = t != NULL ? t->reason : "Status";
	const char *detail = t != NULL ? t->detail : "";
	const char *body = r->body;
	const char *rid = r->request_id != NULL ? r->request_id : "";
	char page[2048], hdr[1024], esc[768], idesc[800], idline[900];
	struct iovec iov[4];
	size_t elen;
	size_t blen = r->blen;
	int hlen, ilen = 0;

	/* the id, so that a user can quote it (ids are visible ASCII) */
	if (rid[0] != '\0') {
		ilen = snprintf(idline, sizeof(idline), "X-Request-Id: %s\r\n",
		    rid);
		if (ilen < 0 || (size_t)ilen >= sizeof(idline))
			ilen = 0;
	}
	if (body == NULL) {
		int n;

		if (r->detail != NULL) {
			html_escape(r->detail, esc, sizeof(esc));
			detail = esc;
		}
		idesc[0] = '\0';
		if (rid[0] != '\0') {
			memcpy(idesc, "<p>Request ID: ", 15);
			html_escape(rid, idesc + 15, sizeof(idesc) - 24);
			memcpy(idesc + strlen(idesc), "</p>\n", 6);
		}
		n = snprintf(page, sizeof(page),
		    "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
		    "<body><h1>%d %s</h1>\n<p>%s</p>\n%s<hr><p>porter</p>"
		    "</body></html>\n", r->status, reason, r->status, reason,
		    detail, idesc);

		if (n < 0 || (size_t)n >= sizeof(page))
			return (-1);
		body = page;
		blen = (size_t)n;
	}
	if (r->status == 204 || r->status == 304) {
		/* no body, and (RFC 9110 8.6) no Content-Length either */
		hlen = snprintf(hdr, sizeof(hdr),
		    "HTTP/1.1 %d %s\r\nServer: porter\r\nDate: %s\r\n%s",
		    r->status, reason, respond_date(),
		    !r->keepalive ? "Connection: close\r\n" :
		    r->http10_ka ? "Connection: keep-alive\r\n" : "");
		blen = 0;
	} else
		hlen = snprintf(hdr, sizeof(hdr),
		    "HTTP/1.1 %d %s\r\nServer: porter\r\nDate: %s\r\n"
		    "Content-Type: %s\r\nContent-Length: %zu\r\n%s",
		    r->status, reason, respond_date(),
		    r->ctype != NULL ? r->ctype : "text/html; charset=utf-8",
		    blen, !r->keepalive ? "Connection: close\r\n" :
		    r->http10_ka ? "Connection: keep-alive\r\n" : "");
	if (hlen < 0 || (size_t)hlen >= sizeof(hdr))
		return (-1);
	/* extra lines come from the config: bounded there, not here */
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)hlen;
	elen = r->extra != NULL ? strlen(r->extra) : 0;
	iov[1].iov_base = (void *)(uintptr_t)(r->extra != NULL ? r->extra : "");
	iov[1].iov_len = elen;
	iov[2].iov_base = idline;
	iov[2].iov_len = (size_t)ilen;
	iov[3].iov_base = (void *)(uintptr_t)"\r\n";
	iov[3].iov_len = 2;
	if (io_writev(io, iov, 4, deadline) == -1)
		return (-1);
	if (!r->head && blen > 0 && io_write(io, body, blen, deadline) == -1)
		return (-1);
	/* io_writev consumes the iovecs: the lengths as they were */
	if (head != NULL)
		*head = (size_t)hlen + elen + (size_t)ilen + 2;
	return ((long)((size_t)hlen + elen + (size_t)ilen + 2 +
	    (r->head ? 0 : blen)));
}
