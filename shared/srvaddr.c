#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "shared/srvaddr.h"

/* A seqlock read gives up after this many torn reads: the writer died. */
#define SRVADDR_TRIES	8

void
srvaddr_reset(struct srvaddr *a)
{
	int k, i, j;

	atomic_store(&a->cur, 0);
	for (k = 0; k < 2; k++) {
		atomic_store(&a->set[k].seq, 0);
		atomic_store(&a->set[k].n, 0);
		atomic_store(&a->set[k].resolved_ms, 0);
		for (i = 0; i < ADDR_MAX; i++)
			for (j = 0; j < SRVADDR_WORDS; j++)
				atomic_store(&a->set[k].word[i][j], 0);
	}
	atomic_store(&a->pref, 0);
}

void
srvaddr_publish(struct srvaddr *a, const struct addrlist *l, int64_t now_ms)
{
	uint32_t next = 1 - atomic_load_explicit(&a->cur, memory_order_relaxed);
	struct srvaddr_set *set = &a->set[next];
	uint32_t seq = atomic_load_explicit(&set->seq, memory_order_relaxed);
	uint64_t w[SRVADDR_WORDS];
	int i, j, n = l->n < ADDR_MAX ? l->n : ADDR_MAX;

	/* odd already: the last writer died mid-write; carry on from there */
	if ((seq & 1) == 0)
		seq++;
	atomic_store_explicit(&set->seq, seq, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (i = 0; i < n; i++) {
		memset(w, 0, sizeof(w));
		memcpy(w, &l->sa[i], l->len[i] < sizeof(w) ? l->len[i] :
		    sizeof(w));
		for (j = 0; j < SRVADDR_WORDS; j++)
			atomic_store_explicit(&set->word[i][j], w[j],
			    memory_order_relaxed);
	}
	atomic_store_explicit(&set->n, (uint32_t)n, memory_order_relaxed);
	atomic_store_explicit(&set->resolved_ms, now_ms, memory_order_relaxed);
	atomic_store_explicit(&set->seq, seq + 1, memory_order_release);
	/* readers switch over only to a whole set */
	atomic_store_explicit(&a->cur, next, memory_order_release);
}

/* The length of the address a word copy holds, or 0 if not one. */
static socklen_t
word_len(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (sizeof(struct sockaddr_in));
	if (ss->ss_family == AF_INET6)
		return (sizeof(struct sockaddr_in6));
	return (0);
}

int
srvaddr_read(const struct srvaddr *a, struct addrlist *out,
    int64_t *resolved_ms)
{
	const struct srvaddr_set *set;
	uint64_t w[SRVADDR_WORDS];
	uint32_t s1, s2, n;
	int64_t when;
	int tries, i, j;

	out->n = 0;
	for (tries = 0; tries < SRVADDR_TRIES; tries++) {
		set = &a->set[atomic_load_explicit(&a->cur,
		    memory_order_acquire) & 1];
		s1 = atomic_load_explicit(&set->seq, memory_order_acquire);
		if (s1 & 1)
			continue;	/* written twice since cur was read */
		n = atomic_load_explicit(&set->n, memory_order_relaxed);
		when = atomic_load_explicit(&set->resolved_ms,
		    memory_order_relaxed);
		if (n > ADDR_MAX)
			n = ADDR_MAX;
		for (i = 0; i < (int)n; i++) {
			for (j = 0; j < SRVADDR_WORDS; j++)
				w[j] = atomic_load_explicit(&set->word[i][j],
				    memory_order_relaxed);
			memset(&out->sa[i], 0, sizeof(out->sa[i]));
			memcpy(&out->sa[i], w, sizeof(w));
			out->len[i] = word_len(&out->sa[i]);
		}
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&set->seq, memory_order_relaxed);
		if (s1 != s2)
			continue;
		for (i = 0; i < (int)n; i++)
			if (out->len[i] == 0)
				return (0);
		out->n = (int)n;
		*resolved_ms = when;
		return (n > 0);
	}
	return (0);
}

int
srvaddr_prefer(struct srvaddr *a, const struct sockaddr *sa)
{
	uint64_t h = addr_hash(sa);
	uint64_t old = atomic_load_explicit(&a->pref, memory_order_relaxed);

	/* written only on a change: every request reads this line */
	return (old != h && atomic_compare_exchange_strong(&a->pref, &old,
	    h));
}

int
srvaddr_list(const struct srvaddr *a, struct addrlist *out, int *first)
{
	uint64_t pref;
	int64_t when;
	int i;

	*first = 0;
	if (!srvaddr_read(a, out, &when))
		return (0);
	if (out->n > 1 && (pref = atomic_load_explicit(&a->pref,
	    memory_order_relaxed)) != 0)
		for (i = 0; i < out->n; i++)
			if (addr_hash((const struct sockaddr *)&out->sa[i]) ==
			    pref) {
				*first = i;
				break;
			}
	return (out->n);
}
