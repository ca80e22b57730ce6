#include "config.h"

#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/arena.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_CALLOC	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_CALLOC	1
#endif
#endif

static size_t
page_size(void)
{
	static size_t ps;

	if (ps == 0) {
		long v = sysconf(_SC_PAGESIZE);

		ps = v > 0 ? (size_t)v : 4096;
	}
	return (ps);
}

static size_t
round_up(size_t n, size_t to)
{
	return ((n + to - 1) / to * to);
}

size_t
arena_buf_room(size_t n)
{
	/* up to a page to reach a boundary, the pages, the guard */
	return (round_up(n, page_size()) + 2 * page_size());
}

int
arena_init(struct arena *a, size_t cap)
{
#ifndef ARENA_CALLOC
	void *p;
#endif

	a->base = NULL;
	a->blocks = NULL;
	a->cap = round_up(cap, page_size());
	a->used = a->mapped = 0;
#ifndef ARENA_CALLOC
	/* reserved, not accessible: only what is handed out is mapped */
	p = mmap(NULL, a->cap, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	a->base = p;
#endif
	return (0);
}

#ifdef ARENA_CALLOC
/* Each block is kept on a list, its link in front of it, for arena_free. */
static void *
block_calloc(struct arena *a, size_t n)
{
	void **p;

	if (n > SIZE_MAX - 16 || (p = calloc(1, n + 16)) == NULL)
		return (NULL);
	*p = a->blocks;
	a->blocks = p;
	return ((char *)p + 16);
}
#else
/*
 * Make everything up to end accessible. mapped stays the page boundary
 * at or after used, so a new block's pages start at mapped.
 */
static int
map_to(struct arena *a, size_t end)
{
	size_t hi = round_up(end, page_size());

	if (hi > a->mapped && mprotect(a->base + a->mapped, hi - a->mapped,
	    PROT_READ | PROT_WRITE) == -1)
		return (-1);
	if (hi > a->mapped)
		a->mapped = hi;
	return (0);
}
#endif

void *
arena_small(struct arena *a, size_t n)
{
#ifdef ARENA_CALLOC
	return (block_calloc(a, n));
#else
	size_t at = round_up(a->used, 16);

	if (n == 0)
		n = 1;
	if (at > a->cap || n > a->cap - at || map_to(a, at + n) == -1)
		return (NULL);
	a->used = at + n;
	return (a->base + at);
#endif
}

void *
arena_buf(struct arena *a, size_t n)
{
#ifdef ARENA_CALLOC
	return (block_calloc(a, n));
#else
	size_t ps = page_size(), at, len;

	at = round_up(a->used, ps);
	len = round_up(n > 0 ? n : 1, ps);
	if (at > a->cap || len + ps > a->cap - at || map_to(a, at + len) == -1)
		return (NULL);
	/* the guard page stays PROT_NONE: the next block starts past it */
	a->used = a->mapped = at + len + ps;
	return (a->base + at);
#endif
}

int
arena_not_inherited(struct arena *a)
{
#ifdef ARENA_CALLOC
	(void)a;
	return (0);
#else
	return (madvise(a->base, a->cap, MADV_DONTFORK));
#endif
}

void
arena_trim(void *buf, size_t len, size_t keep)
{
#ifdef ARENA_CALLOC
	(void)buf;
	(void)len;
	(void)keep;
#else
	uintptr_t lo = round_up((uintptr_t)buf + keep, page_size());
	uintptr_t hi = ((uintptr_t)buf + len) / page_size() * page_size();

	/* only advice: on failure the pages just stay */
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
#endif
}

void
arena_free(struct arena *a)
{
#ifdef ARENA_CALLOC
	while (a->blocks != NULL) {
		void **p = a->blocks;

		a->blocks = *p;
		free(p);
	}
#else
	if (a->base != NULL)
		(void)munmap(a->base, a->cap);
	a->base = NULL;
#endif
}
