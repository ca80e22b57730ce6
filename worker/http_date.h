/*
 * HTTP dates (RFC 9110 5.6.7): the three formats a recipient must read,
 * the one a sender writes. Pure arithmetic: no locale, no time zone, no
 * libc time functions (timegm and strptime follow the environment).
 */
#ifndef PORTER_WORKER_HTTP_DATE_H
#define PORTER_WORKER_HTTP_DATE_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_DATE_LEN	29	/* "Sun, 06 Nov 1994 08:49:37 GMT" */

/*
 * s[0..len) is one HTTP-date: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37
 * GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year
 * below 70 is 20yy, else 19yy) or asctime ("Sun Nov  6 08:49:37 1994").
 * Names are case-sensitive as in the grammar; day 1..days of the month
 * (leap years counted), hour <= 23, minute <= 59, second <= 60, year
 * 1900..9999. Sets *out to seconds since the epoch and returns 0, or
 * returns -1 (and leaves *out alone) for anything else.
 */
int	http_date_parse(const char *s, size_t len, int64_t *out);

/*
 * Writes t (seconds since the epoch) as IMF-fixdate into out, NUL-ended,
 * and returns HTTP_DATE_LEN; -1 (out[0] = '\0') if its year is not
 * within 1900..9999.
 */
int	http_date_format(int64_t t, char out[HTTP_DATE_LEN + 1]);

#endif
