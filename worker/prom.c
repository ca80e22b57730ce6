#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/outbuf.h"
#include "worker/prom.h"

void
prom_init(struct prom *pr, char *buf, size_t cap)
{
	pr->p = buf;
	pr->len = 0;
	pr->cap = cap;
	pr->full = cap == 0;
	if (cap > 0)
		buf[0] = '\0';
}

void
prom_put(struct prom *pr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	outbuf_vprintf_at(pr->p, &pr->len, pr->cap, &pr->full, fmt, ap);
	va_end(ap);
}

void
prom_family(struct prom *pr, const char *name, const char *type,
    const char *help)
{
	char h[512];
	size_t i, k = 0;

	for (i = 0; help[i] != '\0' && k + 3 < sizeof(h); i++) {
		if (help[i] == '\\' || help[i] == '\n') {
			h[k++] = '\\';
			h[k++] = help[i] == '\n' ? 'n' : '\\';
		} else
			h[k++] = help[i];
	}
	h[k] = '\0';
	prom_put(pr, "# HELP %s %s\n# TYPE %s %s\n", name, h, name, type);
}

/* The length of the valid UTF-8 character at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return (0);
	if (len > n)
		return (0);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return (0);
	return (len);
}

const char *
prom_escape(const char *s, char *dst, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k = 0, c;

	if (cap == 0)
		return (dst);
	while (i < n) {
		char esc = 0;

		c = utf8_len(u + i, n - i);
		if (c == 1 && (u[i] == '\\' || u[i] == '"' || u[i] == '\n'))
			esc = u[i] == '\n' ? 'n' : (char)u[i];
		if (k + (esc ? 2 : c == 0 ? 1 : c) >= cap)
			break;
		if (esc) {
			dst[k++] = '\\';
			dst[k++] = esc;
			i++;
		} else if (c == 0 || (c == 1 && (u[i] < 0x20 || u[i] == 0x7f))) {
			dst[k++] = '?';
			i++;
		} else {
			memcpy(dst + k, u + i, c);
			k += c;
			i += c;
		}
	}
	dst[k] = '\0';
	return (dst);
}

static int
name_char(int ch, int first, int colon)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_')
		return (1);
	if (colon && ch == ':')
		return (1);
	return (!first && ch >= '0' && ch <= '9');
}

int
prom_name_ok(const char *name)
{
	size_t i;

	if (name[0] == '\0')
		return (0);
	for (i = 0; name[i] != '\0'; i++)
		if (!name_char((unsigned char)name[i], i == 0, 1))
			return (0);
	return (1);
}

int
prom_label_ok(const char *name)
{
	size_t i;

	if (name[0] == '\0' || strncmp(name, "__", 2) == 0)
		return (0);
	for (i = 0; name[i] != '\0'; i++)
		if (!name_char((unsigned char)name[i], i == 0, 0))
			return (0);
	return (1);
}
