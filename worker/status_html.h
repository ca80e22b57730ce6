/*
 * The status page for browsers: one HTML document, rendered whole on the
 * server from the same shared segment as the text and JSON forms (so it
 * works without JavaScript), with an inline script that then fetches
 * ?format=json every 2 s and updates it in place. Nothing is loaded from
 * elsewhere: the style and the script carry a per-response nonce, and the
 * Content-Security-Policy allows only them, fetches of the page's own
 * origin and forms posted to it.
 */
#ifndef PORTER_WORKER_STATUS_HTML_H
#define PORTER_WORKER_STATUS_HTML_H

#include <stddef.h>

#include "worker/http_parse.h"

struct worker;

/* The page's forms. */
enum status_fmt { STATUS_TEXT, STATUS_JSON, STATUS_HTML };

/*
 * Which form the Accept fields of h (in buf) prefer, by their q-values
 * (RFC 9110 12.5.1; the most specific range that matches a type gives
 * its q): text/plain, text/html or application/json. A tie goes to
 * text, then HTML: so curl (which accepts any type alike) and a request
 * without Accept get text, and a browser, which lists text/html first
 * and any other type at q=0.8, gets HTML.
 */
enum status_fmt	status_html_accept(const char *buf, const struct http_head *h);

/*
 * The HTML page into buf (at most max bytes; what does not fit is left
 * out and the page says so, and stays well formed), for the page at base
 * (status.path). hdrs (hcap bytes) gets the header lines it needs: the
 * Content-Security-Policy with this response's nonce, each ending CRLF.
 * Returns the page's length; 0 if hdrs is too small.
 */
size_t	status_html_page(const struct worker *, const char *base, char *buf,
	    size_t max, char *hdrs, size_t hcap);

#endif
