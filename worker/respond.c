#include "config.h"

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
	{ 400, "Bad Request", "The request could not be understood." },
	{ 403, "Forbidden", "Access to this resource is not allowed." },
	{ 404, "Not Found", "No service is configured for this address." },
	{ 405, "Method Not Allowed", "This method is not allowed here." },
	{ 408, "Request Timeout", "The request took too long to arrive." },
	{ 413, "Content Too Large", "The request body is too large." },
	{ 414, "URI Too Long", "The request target is too long." },
	{ 417, "Expectation Failed", "The expectation cannot be met." },
	{ 431, "Request Header Fields Too Large",
	    "The request header section is too large." },
	{ 500, "Internal Server Error", "The proxy failed to handle the request." },
	{ 501, "Not Implemented", "The proxy does not support this request." },
	{ 502, "Bad Gateway", "The proxy could not get a valid response from a backend server." },
	{ 503, "Service Unavailable", "No backend server is available." },
	{ 504, "Gateway Timeout", "A backend server did not answer in time." },
	{ 505, "HTTP Version Not Supported", "Only HTTP/1.0 and HTTP/1.1 are supported." },
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

long
respond_error(struct io *io, int status, int keepalive, int http10_ka,
    int head, double deadline)
{
	const struct status_text *t = lookup(status);
	const char *reason = t != NULL ? t->reason : "Error";
	const char *detail = t != NULL ? t->detail : "";
	char body[512], hdr[512];
	struct iovec iov[2];
	int blen, hlen;

	blen = snprintf(body, sizeof(body),
	    "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
	    "<body><h1>%d %s</h1>\n<p>%s</p>\n<hr><p>porter</p></body></html>\n",
	    status, reason, status, reason, detail);
	if (blen < 0 || (size_t)blen >= sizeof(body))
		return (-1);
	hlen = snprintf(hdr, sizeof(hdr),
	    "HTTP/1.1 %d %s\r\nServer: porter\r\nDate: %s\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: %d\r\n%s\r\n",
	    status, reason, respond_date(), blen,
	    !keepalive ? "Connection: close\r\n" :
	    http10_ka ? "Connection: keep-alive\r\n" : "");
	if (hlen < 0 || (size_t)hlen >= sizeof(hdr))
		return (-1);
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)hlen;
	iov[1].iov_base = body;
	iov[1].iov_len = head ? 0 : (size_t)blen;
	if (io_writev(io, iov, 2, deadline) == -1)
		return (-1);
	return (hlen + (head ? 0 : blen));
}
