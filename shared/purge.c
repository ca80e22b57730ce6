#include "config.h"

#include <string.h>

#include "shared/purge.h"

/*
 * A prefix job's data: one letter, then the prefix. 'K': a key prefix
 * (host bound: "G\0http\0host\0/path"); 'P': a path prefix for any host,
 * matched against the key's fourth field.
 */
#define PREFIX_KEY	'K'
#define PREFIX_PATH	'P'

uint64_t
purge_tag_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

static int
is_sep(char ch)
{
	return (ch == ' ' || ch == '\t' || ch == ',');
}

int
purge_tags_parse(const char *v, size_t len, uint64_t *tags, uint32_t *n,
    uint32_t cap)
{
	size_t i = 0, start;
	uint64_t h;
	uint32_t k;

	while (i < len) {
		while (i < len && is_sep(v[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_sep(v[i]))
			i++;
		h = purge_tag_hash(v + start, i - start);
		for (k = 0; k < *n && tags[k] != h; k++)
			;
		if (k < *n)
			continue;
		if (*n >= cap)
			return (-1);
		tags[(*n)++] = h;
	}
	return (0);
}

int
purge_spec_prefix(struct job_spec *s, const char *key, const char *path,
    size_t len, int soft, int64_t not_after)
{
	if (len + 1 > JOB_DATA_MAX)
		return (-1);
	memset(s, 0, offsetof(struct job_spec, data));
	s->kind = JOB_PURGE_PREFIX;
	s->flags = soft ? JOB_F_SOFT : 0;
	s->not_after = not_after;
	s->data[0] = key != NULL ? PREFIX_KEY : PREFIX_PATH;
	memcpy(s->data + 1, key != NULL ? key : path, len);
	s->len = (uint32_t)len + 1;
	return (0);
}

void
purge_spec_tag(struct job_spec *s, uint64_t tag, int soft, int64_t not_after)
{
	memset(s, 0, offsetof(struct job_spec, data));
	s->kind = JOB_PURGE_TAG;
	s->flags = soft ? JOB_F_SOFT : 0;
	s->hash = tag;
	s->not_after = not_after;
}

/* store_purge_scan's key test for a prefix job (spec as arg). */
static int
prefix_match(void *arg, const char *key, uint32_t klen)
{
	const struct job_spec *s = arg;
	const char *p = s->data + 1, *end = key + klen;
	size_t n = s->len - 1;
	int field;

	if (s->data[0] == PREFIX_KEY)
		return (klen >= n && memcmp(key, p, n) == 0);
	/* method, scheme, host: the path is the fourth field */
	for (field = 0; field < 3; field++) {
		if ((key = memchr(key, '\0', (size_t)(end - key))) == NULL)
			return (0);
		key++;
	}
	return ((size_t)(end - key) >= n && memcmp(key, p, n) == 0);
}

int64_t
purge_run_job(struct store *st, const struct job_spec *s)
{
	struct store_purge p;

	if (st == NULL)
		return (-1);
	memset(&p, 0, sizeof(p));
	p.soft = (s->flags & JOB_F_SOFT) != 0;
	p.not_after = s->not_after;
	p.now = store_now_ms();
	switch (s->kind) {
	case JOB_PURGE_PREFIX:
		if (s->len < 2 || s->len > JOB_DATA_MAX ||
		    (s->data[0] != PREFIX_KEY && s->data[0] != PREFIX_PATH))
			return (-1);
		p.match = prefix_match;
		p.arg = (void *)(uintptr_t)s;
		break;
	case JOB_PURGE_TAG:
		p.has_tag = 1;
		p.tag = s->hash;
		break;
	default:
		return (-1);
	}
	return ((int64_t)store_purge_scan(st, &p));
}
