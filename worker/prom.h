/*
 * The Prometheus text exposition format (0.0.4), written into a bounded
 * buffer: families with their # HELP and # TYPE lines, samples, label
 * values escaped. Pure text: /metrics (worker/metrics.c) decides what to
 * say, this only how.
 */
#ifndef PORTER_WORKER_PROM_H
#define PORTER_WORKER_PROM_H

#include <stddef.h>
#include <stdint.h>

#define PROM_CTYPE	"text/plain; version=0.0.4; charset=utf-8"

/* The text being written; full: something did not fit (the rest is lost). */
struct prom {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 full;
};

void	prom_init(struct prom *, char *buf, size_t cap);

/*
 * "# HELP name help\n# TYPE name type\n"; type is counter, gauge or
 * histogram. help is escaped (backslash, newline) as the format asks.
 */
void	prom_family(struct prom *, const char *name, const char *type,
	    const char *help);

/* One line, printf-style; whole or not at all (then full). */
void	prom_put(struct prom *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * s as a label value, without its quotes, into dst: backslash, double
 * quote and newline escaped (\\ \" \n), other control characters and
 * bytes that are not valid UTF-8 written as '?', so the page is always
 * valid UTF-8. Cut (at a character boundary) to fit; dst is always
 * terminated. Returns dst.
 */
const char *prom_escape(const char *s, char *dst, size_t cap);

/* Whether name is a valid metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
int	prom_name_ok(const char *name);
/* Whether name is a valid label name: [a-zA-Z_][a-zA-Z0-9_]*, not __*. */
int	prom_label_ok(const char *name);

#endif
