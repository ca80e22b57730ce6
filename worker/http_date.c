#include "config.h"

#include <string.h>

#include "worker/http_date.h"

static const char *const wkday[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const weekday[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char *const month[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

static int
leap(int64_t y)
{
	return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

static int
mdays(int64_t y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return (m == 1 && leap(y) ? 29 : d[m]);
}

/*
 * Days from 1970-01-01 to y-m-d (m 1..12), proleptic Gregorian; H.
 * Hinnant's days_from_civil, exact for every year we accept.
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/* The inverse: y-m-d of a day count. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* A cursor over the date; every reader fails once the input is short. */
struct rd {
	const char	*p;
	size_t		 n;
};

static int
lit(struct rd *r, const char *s)
{
	size_t l = strlen(s);

	if (r->n < l || memcmp(r->p, s, l) != 0)
		return (0);
	r->p += l;
	r->n -= l;
	return (1);
}

/* Exactly n digits. */
static int
digits(struct rd *r, int n, int *v)
{
	int i;

	if (r->n < (size_t)n)
		return (0);
	*v = 0;
	for (i = 0; i < n; i++) {
		if (r->p[i] < '0' || r->p[i] > '9')
			return (0);
		*v = *v * 10 + (r->p[i] - '0');
	}
	r->p += n;
	r->n -= n;
	return (1);
}

/* One of names[0..k); its index, or -1. */
static int
name(struct rd *r, const char *const *names, int k)
{
	int i;

	for (i = 0; i < k; i++)
		if (lit(r, names[i]))
			return (i);
	return (-1);
}

/* "hh:mm:ss" */
static int
tod(struct rd *r, int *h, int *mi, int *s)
{
	return (digits(r, 2, h) && lit(r, ":") && digits(r, 2, mi) &&
	    lit(r, ":") && digits(r, 2, s));
}

static int
finish(int64_t y, int mon, int d, int h, int mi, int s, int64_t *out)
{
	if (y < 1900 || y > 9999 || mon < 0 || d < 1 ||
	    d > mdays(y, mon) || h > 23 || mi > 59 || s > 60)
		return (-1);
	*out = days_from_civil(y, mon + 1, d) * 86400 + h * 3600 + mi * 60 +
	    s;
	return (0);
}

int
http_date_parse(const char *s, size_t len, int64_t *out)
{
	struct rd r = { s, len };
	int y, mon, d, h, mi, sec;

	if (len == 0)
		return (-1);
	/* RFC 850: a full weekday name, the only form with one */
	if (name(&r, weekday, 7) >= 0) {
		if (!lit(&r, ", ") || !digits(&r, 2, &d) || !lit(&r, "-") ||
		    (mon = name(&r, month, 12)) < 0 || !lit(&r, "-") ||
		    !digits(&r, 2, &y) || !lit(&r, " ") ||
		    !tod(&r, &h, &mi, &sec) || !lit(&r, " GMT") || r.n != 0)
			return (-1);
		/* no clock here: a fixed pivot stands in for RFC 9110's 50 years */
		return (finish(y < 70 ? 2000 + y : 1900 + y, mon, d, h, mi,
		    sec, out));
	}
	r.p = s;
	r.n = len;
	if (name(&r, wkday, 7) < 0)
		return (-1);
	if (lit(&r, ", ")) {
		/* IMF-fixdate */
		if (!digits(&r, 2, &d) || !lit(&r, " ") ||
		    (mon = name(&r, month, 12)) < 0 || !lit(&r, " ") ||
		    !digits(&r, 4, &y) || !lit(&r, " ") ||
		    !tod(&r, &h, &mi, &sec) || !lit(&r, " GMT") || r.n != 0)
			return (-1);
		return (finish(y, mon, d, h, mi, sec, out));
	}
	/* asctime: "Sun Nov  6 08:49:37 1994", the day padded by a space */
	if (!lit(&r, " ") || (mon = name(&r, month, 12)) < 0 || !lit(&r, " "))
		return (-1);
	if (lit(&r, " ")) {
		if (!digits(&r, 1, &d))
			return (-1);
	} else if (!digits(&r, 2, &d) || d < 10)
		return (-1);
	if (!lit(&r, " ") || !tod(&r, &h, &mi, &sec) || !lit(&r, " ") ||
	    !digits(&r, 4, &y) || r.n != 0)
		return (-1);
	return (finish(y, mon, d, h, mi, sec, out));
}

int
http_date_format(int64_t t, char out[HTTP_DATE_LEN + 1])
{
	int64_t days, rem, y;
	int m, d, wd;

	out[0] = '\0';
	/* floor division, for times before 1970 */
	days = t / 86400;
	rem = t % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	if (days < days_from_civil(1900, 1, 1) ||
	    days > days_from_civil(9999, 12, 31))
		return (-1);
	civil_from_days(days, &y, &m, &d);
	wd = (int)(((days % 7) + 11) % 7);	/* 1970-01-01 was a Thursday */
	out[0] = wkday[wd][0];
	out[1] = wkday[wd][1];
	out[2] = wkday[wd][2];
	out[3] = ',';
	out[4] = ' ';
	out[5] = (char)('0' + d / 10);
	out[6] = (char)('0' + d % 10);
	out[7] = ' ';
	memcpy(out + 8, month[m - 1], 3);
	out[11] = ' ';
	out[12] = (char)('0' + y / 1000);
	out[13] = (char)('0' + y / 100 % 10);
	out[14] = (char)('0' + y / 10 % 10);
	out[15] = (char)('0' + y % 10);
	out[16] = ' ';
	out[17] = (char)('0' + rem / 36000);
	out[18] = (char)('0' + rem / 3600 % 10);
	out[19] = ':';
	out[20] = (char)('0' + rem % 3600 / 600);
	out[21] = (char)('0' + rem % 3600 / 60 % 10);
	out[22] = ':';
	out[23] = (char)('0' + rem % 60 / 10);
	out[24] = (char)('0' + rem % 10);
	memcpy(out + 25, " GMT", 5);
	return (HTTP_DATE_LEN);
}
