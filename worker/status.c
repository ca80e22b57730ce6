#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/outbuf.h"
#include "shared/counters.h"
#include "shared/health.h"
#include "shared/jobs.h"
#include "shared/rate.h"
#include "shared/scoreboard.h"
#include "shared/store.h"
#include "worker/answer.h"
#include "worker/metrics.h"
#include "worker/normalize.h"
#include "worker/purge_http.h"
#include "worker/route.h"
#include "lib/clock.h"
#include "lib/handoff.h"
#include "worker/status.h"
#include "worker/status_html.h"

/*
 * The page is built whole, then sent with its length. Its room is fixed,
 * so a huge scoreboard cannot make a worker grow: what does not fit is
 * left out and the page says so. The reserve is kept for the fixed text
 * that closes the page (and the JSON), so it is always well formed.
 * (-DSTATUS_PAGE_MAX=2000 shows the cut without a huge scoreboard.)
 */
#ifndef STATUS_PAGE_MAX
#define STATUS_PAGE_MAX		(256 * 1024)
#endif
#define STATUS_RESERVE		256
/* Never cached; text/plain that quotes clients is never taken as HTML. */
#define STATUS_EXTRA	"Cache-Control: no-store\r\n" \
			"X-Content-Type-Options: nosniff\r\n"
/* The page's form follows Accept (status_html_accept). */
#define STATUS_VARY	"Vary: Accept\r\n"
/* A decoded ?server= value: "pool/address" */
#define STATUS_NAME_MAX		512

struct page {
	char	*p;
	size_t	 len;
	size_t	 cap;		/* for entries: STATUS_PAGE_MAX - reserve */
	int	 full;		/* an entry did not fit: the rest is left out */
	int	 json;
};

/* One per worker process, made on its first status request. */
static char *page_buf;

static const char *const state_names[] = {
	"dead", "starting", "idle", "reading", "upstream", "writing",
	"keepalive", "tunnel", "graceful"
};

const char *
status_state_name(int st)
{
	if (st < 0 ||
	    (size_t)st >= sizeof(state_names) / sizeof(state_names[0]))
		return (NULL);
	return (state_names[st]);
}

/* Append, or leave the page as it was and mark it full. */
static void __attribute__((format(printf, 2, 3)))
put(struct page *pg, const char *fmt, ...)
{
	va_list ap;

	/* frames may have used some of the reserve: len can pass cap */
	va_start(ap, fmt);
	outbuf_vprintf_at(pg->p, &pg->len, pg->cap, &pg->full, fmt, ap);
	va_end(ap);
}

/* Fixed text that frames the entries: it may use the reserve. */
static void
put_frame(struct page *pg, const char *s)
{
	size_t n = strlen(s);

	if (pg->len + n < STATUS_PAGE_MAX) {
		memcpy(pg->p + pg->len, s, n + 1);
		pg->len += n;
	}
}

/* An entry is whole or absent: undo a partly written one. */
static int
entry_done(struct page *pg, size_t mark)
{
	if (!pg->full)
		return (1);
	pg->len = mark;
	pg->p[mark] = '\0';
	return (0);
}

/*
 * s (at most n bytes; scoreboard text may be torn, so not trusted to be
 * terminated) as a JSON string with its quotes, cut to fit dst. Bytes
 * that are not printable ASCII are escaped, so the page is always valid
 * UTF-8 whatever a client sent.
 */
static const char *
jstr(const char *s, size_t n, char *dst, size_t cap)
{
	size_t i, k = 0;

	dst[k++] = '"';
	for (i = 0; i < n && s[i] != '\0' && k + 8 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			dst[k++] = '\\';
			dst[k++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			k += (size_t)snprintf(dst + k, cap - k, "\\u%04x", ch);
		} else
			dst[k++] = (char)ch;
	}
	dst[k++] = '"';
	dst[k] = '\0';
	return (dst);
}

/* Scoreboard text into dst, terminated, without control characters. */
static const char *
sb_text(const char *s, size_t n, char *dst, size_t cap)
{
	size_t i;

	for (i = 0; i < n && i + 1 < cap && s[i] != '\0'; i++)
		dst[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	dst[i] = '\0';
	return (dst);
}

/*
 * The counter table's entries in table order, all of them or (slot_only)
 * those a worker's slot holds: " name=value" in text, "\"name\":value"
 * in JSON with a comma before each but the first (first set).
 */
static void
put_counters(struct page *pg, const uint64_t v[CTR_N], int slot_only,
    int first)
{
	int id;

	for (id = 0; id < CTR_N; id++) {
		if (slot_only && ctr_defs[id].where != CTR_SLOT)
			continue;
		put(pg, pg->json ? "%s\"%s\":%llu" : "%s%s=%llu",
		    !pg->json ? " " : first ? "" : ",", ctr_defs[id].name,
		    (unsigned long long)v[id]);
		first = 0;
	}
}

static void
put_backends(struct page *pg, const struct worker *w)
{
	const struct cfg *cfg = w->cfg;
	int64_t now = hc_now_ms();
	char name[2 * sizeof(((struct cfg_addr *)0)->text)], j1[1600];
	char chg[32], chk[32], using[ADDR_TEXT];
	struct addrlist scratch;
	int i, k, cur, first = 1;

	put_frame(pg, pg->json ? "\"backends\":[" : "\nbackends:\n");
	for (i = 0; i < cfg->npools && !pg->full; i++) {
		const struct cfg_pool *p = &cfg->pools[i];

		for (k = 0; k < p->nservers; k++) {
			const struct cfg_server *s = &p->servers[k];
			const struct hc_row *r = hc_row(w->shm,
			    worker_row(w, p, k));
			int64_t lc = atomic_load(&r->last_change_ms);
			int64_t lk = atomic_load(&r->last_check_ms);
			double lat = (double)atomic_load(&r->latency_us) /
			    1000.0;
			size_t mark = pg->len;

			(void)snprintf(name, sizeof(name), "%s/%s", p->name,
			    s->addr.text);
			/* where requests go now: the address tried first */
			if (srvaddr_list(&r->addr, &scratch, &cur) > 0)
				(void)addr_text((const struct sockaddr *)
				    &scratch.sa[cur], using, sizeof(using));
			else
				(void)snprintf(using, sizeof(using), "-");
			/* "-" (null): never changed or checked */
			(void)snprintf(chg, sizeof(chg), lc > 0 ? "%lld" :
			    (pg->json ? "null" : "-"),
			    (long long)((now - lc) / 1000));
			(void)snprintf(chk, sizeof(chk), lk > 0 ? "%lld" :
			    (pg->json ? "null" : "-"),
			    (long long)((now - lk) / 1000));
			if (pg->json)
				put(pg, "%s{\"server\":%s,\"address\":\"%s\",",
				    first ? "" : ",", jstr(name, sizeof(name), j1,
				    sizeof(j1)), using);
			else
				put(pg, "%s address=%s", name, using);
			put(pg, pg->json ? "\"state\":\"%s\",\"draining\":%s,"
			    "\"active\":%d,\"requests\":%llu,"
			    "\"failures\":%llu,\"timeouts\":%llu,"
			    "\"retries\":%llu,\"checks_failed\":%llu,\"latency_ms\":%.1f,"
			    "\"last_change_s\":%s,\"last_check_s\":%s,"
			    "\"weight\":%d,\"backup\":%s,\"max_conns\":%d}" :
			    " state=%s draining=%s active=%d requests=%llu "
			    "failures=%llu timeouts=%llu retries=%llu "
			    "checks_failed=%llu "
			    "latency_ms=%.1f last_change_s=%s last_check_s=%s "
			    "weight=%d backup=%s max_conns=%d\n",
			    hc_state_name(w->shm, worker_row(w, p, k)),
			    atomic_load(&r->draining) ?
			    (pg->json ? "true" : "yes") :
			    (pg->json ? "false" : "no"),
			    (int)atomic_load(&r->active),
			    (unsigned long long)atomic_load(&r->requests),
			    (unsigned long long)atomic_load(&r->failures),
			    (unsigned long long)atomic_load(&r->timeouts),
			    (unsigned long long)atomic_load(&r->retries),
			    (unsigned long long)atomic_load(&r->checks_failed),
			    lat, chg, chk, s->weight,
			    s->backup ? (pg->json ? "true" : "yes") :
			    (pg->json ? "false" : "no"), s->max_conns);
			if (!entry_done(pg, mark))
				break;
			first = 0;
		}
	}
	put_frame(pg, pg->json ? "]," : "");
}

static void
put_workers(struct page *pg, const struct worker *w)
{
	const struct shm *shm = w->shm;
	time_t now = time(NULL);
	char client[64], req[200], j1[400], j2[1200];
	uint64_t v[CTR_N];
	uint32_t i;
	int first = 1;

	put_frame(pg, pg->json ? "\"workers\":[" : "\nworkers:\n");
	for (i = 0; i < shm->hdr->nslots && !pg->full;
	    i = sb_scan_next(shm, i)) {
		const struct sb_slot *s = sb_slot(shm, i);
		int st = sb_get_state(s);
		int busy = st != SB_IDLE && st != SB_STARTING &&
		    st != SB_KEEPALIVE;
		size_t mark = pg->len;
		long secs;

		if (st == SB_DEAD || st < 0 ||
		    (size_t)st >= sizeof(state_names) / sizeof(state_names[0]))
			continue;
		(void)sb_text(s->client, sizeof(s->client), client,
		    sizeof(client));
		(void)sb_text(s->request, sizeof(s->request), req,
		    sizeof(req));
		secs = busy && s->started > 0 ? (long)(now - s->started) : -1;
		if (secs < -1)
			secs = 0;	/* the clock went back */
		put(pg, pg->json ? "%s{\"slot\":%u,\"pid\":%ld,"
		    "\"generation\":%u,\"state\":\"%s\"" :
		    "%sslot=%u pid=%ld generation=%u state=%s",
		    pg->json && !first ? "," : "", (unsigned)i, (long)s->pid,
		    (unsigned)s->generation, state_names[st]);
		ctr_slot(s, v);
		put_counters(pg, v, 1, 0);
		if (pg->json) {
			put(pg, ",\"client\":%s,\"request\":%s,\"secs\":",
			    jstr(client, sizeof(client), j1, sizeof(j1)),
			    jstr(req, sizeof(req), j2, sizeof(j2)));
			if (secs >= 0)
				put(pg, "%ld}", secs);
			else
				put(pg, "null}");
		} else {
			put(pg, " client=%s", client[0] != '\0' ? client : "-");
			if (secs >= 0)
				put(pg, " secs=%ld", secs);
			/* last: it has spaces */
			if (req[0] != '\0')
				put(pg, " request=%s", req);
			put(pg, "\n");
		}
		if (!entry_done(pg, mark))
			break;
		first = 0;
	}
	put_frame(pg, pg->json ? "]," : "");
}

void
status_config_path(const struct cfg *cfg, char *dst, size_t cap)
{
	const char *slash = strrchr(cfg->file, '/');

	if (cfg->file[0] == '/' || cfg->dir == NULL)
		(void)snprintf(dst, cap, "%s", cfg->file);
	else
		(void)snprintf(dst, cap, "%s/%s", cfg->dir,
		    slash != NULL ? slash + 1 : cfg->file);
}

/*
 * Requests a second over 1, 5 and 15 minutes (shared/rate.h) and the
 * configuration file: a line each on the text page, after the one that
 * ends with the generation.
 */
static void
put_rates(struct page *pg, const struct worker *w)
{
	const struct rate_area *r = &w->shm->hdr->rate;
	char path[4096], j1[4200];

	status_config_path(w->cfg, path, sizeof(path));
	put(pg, pg->json ? "\"rps_1m\":%.2f,\"rps_5m\":%.2f,"
	    "\"rps_15m\":%.2f," : "rps_1m=%.2f rps_5m=%.2f rps_15m=%.2f\n",
	    rate_per_s(r, 60), rate_per_s(r, 300), rate_per_s(r, 900));
	if (pg->json)
		put(pg, "\"config\":%s,", jstr(path, sizeof(path), j1,
		    sizeof(j1)));
	else
		put(pg, "config=%s\n", sb_text(path, sizeof(path), j1,
		    sizeof(j1)));
}

/*
 * The summary: who is running, and every counter of the table for the
 * whole service, retired workers included, so totals survive reloads.
 */
static void
put_summary(struct page *pg, const struct worker *w)
{
	const struct shm *shm = w->shm;
	long up = (long)(time(NULL) - shm->hdr->started);
	uint64_t v[CTR_N];

	/* -1 (the master stuck mid-fold): a plain sum, shown all the same */
	(void)ctr_totals(shm, v);
	put(pg, pg->json ? "{\"version\":\"%s\",\"master_pid\":%ld,"
	    "\"uptime_s\":%ld,\"generation\":%u," :
	    "porter %s\nmaster_pid=%ld uptime_s=%ld generation=%u\n",
	    PACKAGE_VERSION, (long)getppid(), up,
	    (unsigned)atomic_load(&shm->hdr->generation));
	put_rates(pg, w);
	put(pg, pg->json ? "\"totals\":{" : "totals:");
	put_counters(pg, v, 0, 1);
	put(pg, pg->json ? "}," : "\n");
}

/*
 * The labelled counters (shared/counters.h): responses by listener and
 * status class, refusals by rule, and the latency histograms (count, sum
 * and the buckets, cumulative: le_0.1 counts all <= 0.1 s, as on
 * /metrics, which shows the same).
 */
static void
put_more(struct page *pg, const struct worker *w)
{
	static const char *const cls[CTR_NCLASS] = { "1xx", "2xx", "3xx",
	    "4xx", "5xx" };
	struct ctr_more_v *m;
	uint64_t v[CTR_N], cum[HISTO_NB + 1];
	char key[2 * CTR_LKEY + 8], le[32];
	const char *k;
	int i, j, first = 1;

	if ((m = malloc(sizeof(*m))) == NULL)
		return;
	(void)ctr_totals_more(w->shm, v, m);
	put(pg, pg->json ? "\"responses\":{" : "");
	for (i = 0; i < CTR_LISTENERS; i++) {
		if ((k = ctr_lst_key(w->shm, i)) == NULL)
			continue;
		put(pg, pg->json ? "%s%s:{" : "%sresponses: %s",
		    first || !pg->json ? "" : ",", pg->json ?
		    jstr(k, CTR_LKEY, key, sizeof(key)) : k);
		for (j = 0; j < CTR_NCLASS; j++)
			put(pg, pg->json ? "%s\"%s\":%llu" : " %s%s=%llu",
			    j == 0 || !pg->json ? "" : ",", cls[j],
			    (unsigned long long)m->responses[i][j]);
		put(pg, pg->json ? "}" : "\n");
		first = 0;
	}
	put(pg, pg->json ? "},\"refused_by\":{" : "refused_by:");
	for (i = 0; i < CTR_NRULES; i++)
		put(pg, pg->json ? "%s\"%s\":%llu" : " %s%s=%llu",
		    i == 0 || !pg->json ? "" : ",", ctr_rules[i].name,
		    (unsigned long long)m->refused[i]);
	put(pg, pg->json ? "},\"histograms\":{" : "\n");
	for (i = 0; i < CTR_NHISTO; i++) {
		const struct histo_v *h = &m->histo[i];

		histo_cumulate(h, cum);
		put(pg, pg->json ? "%s\"%s\":{\"count\":%llu,\"sum_s\":%.6f,"
		    "\"buckets\":{" : "%s%s: count=%llu sum_s=%.6f",
		    i == 0 || !pg->json ? "" : ",", ctr_histos[i].name,
		    (unsigned long long)cum[HISTO_NB], (double)h->sum_us / 1e6);
		for (j = 0; j <= HISTO_NB; j++) {
			(void)histo_le_text(j, le, sizeof(le));
			put(pg, pg->json ? "%s\"%s\":%llu" : "%s le_%s=%llu",
			    j == 0 || !pg->json ? "" : ",", le,
			    (unsigned long long)cum[j]);
		}
		put(pg, pg->json ? "}}" : "\n");
	}
	put(pg, pg->json ? "}," : "");
	free(m);
}

/*
 * The waiter: what it holds now, by reason, and what went through it
 * (docs: the README's "Slow clients and idle connections").
 */
static void
put_waiter(struct page *pg, const struct worker *w)
{
	const struct shm_waiter *sw = &w->shm->hdr->waiter;

	put(pg, pg->json ? "\"waiter\":{\"pid\":%ld,\"max_conns\":%u,"
	    "\"parked\":%u,\"parked_head\":%u,\"parked_keepalive\":%u,"
	    "\"parked_body\":%u,\"pending\":%u,\"queued\":%s,"
	    "\"handoffs_in\":%llu,\"handoffs_per_s\":%llu,"
	    "\"handoffs_out\":%llu,\"timeouts\":%llu,\"closed\":%llu,"
	    "\"yields\":%llu,\"restarts\":%llu}," :
	    "\nwaiter: pid=%ld max_conns=%u parked=%u parked_head=%u "
	    "parked_keepalive=%u parked_body=%u pending=%u queued=%s "
	    "handoffs_in=%llu handoffs_per_s=%llu "
	    "handoffs_out=%llu timeouts=%llu closed=%llu yields=%llu "
	    "restarts=%llu\n",
	    (long)atomic_load(&sw->pid), atomic_load(&sw->max_conns),
	    parking_total(sw), atomic_load(&sw->parked[PARK_HEAD]),
	    atomic_load(&sw->parked[PARK_KEEPALIVE]),
	    atomic_load(&sw->parked[PARK_BODY]), atomic_load(&sw->pending),
	    w->ready_fd >= 0 && handoff_queued(w->ready_fd) ?
	    (pg->json ? "true" : "yes") : (pg->json ? "false" : "no"),
	    (unsigned long long)atomic_load(&sw->handoffs_in),
	    (unsigned long long)parking_per_s(sw, clock_now_ms()),
	    (unsigned long long)atomic_load(&sw->handoffs_out),
	    (unsigned long long)atomic_load(&sw->timeouts),
	    (unsigned long long)atomic_load(&sw->closed),
	    (unsigned long long)atomic_load(&sw->yields),
	    (unsigned long long)(atomic_load(&sw->started) > 0 ?
	    atomic_load(&sw->started) - 1 : 0));
}

/*
 * The cache: its levels now and its counters (docs: the README's
 * "Caching"); nothing when the segment has no cache.
 */
static void
put_cache(struct page *pg, const struct worker *w)
{
	struct store *st = shm_store(w->shm);
	struct store_stats s;
	struct jobs *jb;
	uint32_t queued, running;
	int i;

	if (st == NULL)
		return;
	store_stats(st, &s);
	put(pg, pg->json ? "\"cache\":{\"size\":%llu,\"chunk_size\":%llu,"
	    "\"objects\":%llu,\"bytes\":%llu,\"chunks_free\":%llu,"
	    "\"chunks_total\":%llu,\"entries_free\":%llu,"
	    "\"entries_total\":%llu" :
	    "\ncache: size=%llu chunk_size=%llu objects=%llu bytes=%llu "
	    "chunks_free=%llu chunks_total=%llu entries_free=%llu "
	    "entries_total=%llu",
	    (unsigned long long)w->shm->hdr->cache_size,
	    (unsigned long long)s.chunk_size, (unsigned long long)s.objects,
	    (unsigned long long)s.bytes, (unsigned long long)s.chunks_free,
	    (unsigned long long)s.chunks_total,
	    (unsigned long long)s.entries_free,
	    (unsigned long long)s.entries_total);
	for (i = 0; i < STORE_C_MAX; i++)
		put(pg, pg->json ? ",\"%s\":%llu" : " %s=%llu",
		    store_counter_name(i), (unsigned long long)s.c[i]);
	/* the cache keeper's job table (shared/jobs.h) */
	if ((jb = shm_jobs(w->shm)) != NULL) {
		jobs_counts(jb, &queued, &running);
		put(pg, pg->json ? ",\"jobs_queued\":%u,\"jobs_running\":%u" :
		    " jobs_queued=%u jobs_running=%u", queued, running);
	}
	put(pg, pg->json ? "}," : "\n");
}

/* The page into page_buf; its length, or 0 when there is no memory. */
static size_t
build_page(const struct worker *w, int json)
{
	struct page pg;

	if (page_buf == NULL && (page_buf = malloc(STATUS_PAGE_MAX)) == NULL)
		return (0);
	memset(&pg, 0, sizeof(pg));
	pg.p = page_buf;
	pg.p[0] = '\0';
	pg.cap = STATUS_PAGE_MAX - STATUS_RESERVE;
	pg.json = json;
	put_summary(&pg, w);
	put_more(&pg, w);
	put_waiter(&pg, w);
	put_cache(&pg, w);
	/* backends first: they matter more than a long worker list */
	put_backends(&pg, w);
	put_workers(&pg, w);
	if (json)
		put_frame(&pg, pg.full ? "\"truncated\":true}\n" :
		    "\"truncated\":false}\n");
	else if (pg.full)
		put_frame(&pg, "... truncated\n");
	return (pg.len);
}

/* Whether the query (after '?') has the parameter name, bare or name=value. */
static const char *
query_param(const char *q, size_t qlen, const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	const char *end = q + qlen;

	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *stop = amp != NULL ? amp : end;

		if ((size_t)(stop - q) >= n && memcmp(q, name, n) == 0 &&
		    (q + n == stop || q[n] == '=')) {
			const char *v = q + n == stop ? stop : q + n + 1;

			*vlen = (size_t)(stop - v);
			return (v);
		}
		q = stop + (amp != NULL);
	}
	return (NULL);
}

/* Percent-decode v into dst (so %2F is '/'); -1 if bad or too long. */
static int
decode(const char *v, size_t n, char *dst, size_t cap)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		int ch = (unsigned char)v[i];

		if (ch == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return (-1);
			hi = norm_hexval((unsigned char)v[i + 1]);
			lo = norm_hexval((unsigned char)v[i + 2]);
			if (hi < 0 || lo < 0)
				return (-1);
			ch = hi * 16 + lo;
			i += 2;
		}
		if (ch == '\0' || k + 1 >= cap)
			return (-1);
		dst[k++] = (char)ch;
	}
	dst[k] = '\0';
	return (0);
}

/* A short plain-text answer. */
static int
send_text(struct conn *c, int status, int closing, const char *why,
    const char *text)
{
	struct respond r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.keepalive = c->keepalive && !closing;
	r.body = text;
	r.blen = strlen(text);
	r.ctype = "text/plain; charset=utf-8";
	r.extra = STATUS_EXTRA;
	c->status = status;
	c->why = why;
	return (answer_send(c, &r));
}

/*
 * The answer to a drain or undrain that a browser sent from the HTML
 * page's form (its Accept prefers HTML): 303 back to the page, which
 * then shows the new state; the text says what was done all the same.
 */
static int
send_back(struct conn *c, int closing, const char *why, const char *text)
{
	return (answer_see_other(c, closing, why, c->lst->status_path,
	    STATUS_EXTRA, "text/plain; charset=utf-8", text));
}

/* POST PATH/drain?server=POOL/ADDRESS (or undrain). */
static int
drain_action(struct conn *c, int on, const char *q, size_t qlen,
    int closing)
{
	const struct cfg_pool *p;
	const struct cfg_server *srv;
	char name[STATUS_NAME_MAX], text[STATUS_NAME_MAX + 64];
	const char *v;
	size_t vlen;

	if ((v = query_param(q, qlen, "server", &vlen)) == NULL ||
	    vlen == 0)
		return (send_text(c, 400, closing, "status: no server",
		    "name the server: ?server=POOL/ADDRESS\n"));
	if (decode(v, vlen, name, sizeof(name)) == -1 ||
	    strchr(name, '/') == NULL)
		return (send_text(c, 400, closing, "status: bad server",
		    "name the server as POOL/ADDRESS, the address as the "
		    "configuration writes it\n"));
	if ((srv = cfg_server_named(c->w->cfg, name, &p)) != NULL) {
		log_info("%s: status page: %s %s", c->peer,
		    on ? "drain" : "undrain", name);
		hc_set_draining(c->w->shm, worker_row(c->w, p,
		    (int)(srv - p->servers)), on);
		(void)snprintf(text, sizeof(text), "%s%s\n",
		    on ? "draining " : "no longer draining ", name);
		if (status_html_accept(c->buf, &c->req.h) == STATUS_HTML)
			return (send_back(c, closing, on ? "status: drain" :
			    "status: undrain", text));
		return (send_text(c, 200, closing, on ?
		    "status: drain" : "status: undrain", text));
	}
	(void)snprintf(text, sizeof(text), "no server %s in the running "
	    "configuration\n", name);
	return (send_text(c, 404, closing, "status: no such server", text));
}

/*
 * Whether a web page made the browser send this request: browsers add
 * Origin to a cross-site POST, and a POST without a body needs no
 * preflight, so any page an operator opens could drain backends through
 * a status page on loopback. Only an Origin naming the page's own host
 * (or none: curl, scripts) may act.
 */
static int
cross_site(const struct conn *c)
{
	const struct http_head *h = &c->req.h;
	struct span host = c->req.host;
	int i;

	for (i = 0; i < h->nhdr; i++) {
		struct span v = h->hdr[i].value;

		if (!http_span_eq(c->buf, h->hdr[i].name, "Origin"))
			continue;
		if (v.len != 7 + host.len || host.len == 0 ||
		    memcmp(c->buf + v.off, "http://", 7) != 0 ||
		    memcmp(c->buf + v.off + 7, c->buf + host.off,
		    host.len) != 0)
			return (1);
	}
	return (0);
}

/*
 * Which action path is: "drain" (1), "undrain" (2), "purge" (3) or
 * "jobs/ID" (4, *rest the ID) below the status path base, or 0.
 */
static int
action_of(const char *base, const char *path, size_t plen,
    const char **rest, size_t *restlen)
{
	size_t n = strlen(base);

	if (plen <= n || memcmp(path, base, n) != 0)
		return (0);
	path += n;
	plen -= n;
	if (base[n - 1] != '/') {
		if (path[0] != '/')
			return (0);
		path++;
		plen--;
	}
	if (plen == 5 && memcmp(path, "drain", 5) == 0)
		return (1);
	if (plen == 7 && memcmp(path, "undrain", 7) == 0)
		return (2);
	if (plen == 5 && memcmp(path, "purge", 5) == 0)
		return (3);
	if (plen > 5 && memcmp(path, "jobs/", 5) == 0) {
		*rest = path + 5;
		*restlen = plen - 5;
		return (4);
	}
	return (0);
}

int
status_request(struct conn *c)
{
	const struct http_req *q = &c->req;
	const char *base = c->lst->status_path, *host, *path, *query, *v;
	const char *rest = NULL;
	size_t hostlen, pathlen, plen, qlen, vlen, restlen = 0;
	int closing = http_req_body(q) != HTTP_BODY_NONE, act;
	enum status_fmt fmt;
	char extra[1024];
	struct respond r;

	if (route_split(c->buf + q->target.off, q->target.len,
	    c->buf + q->host.off, q->host.len, &host, &hostlen, &path,
	    &pathlen) == -1)
		return (answer_error(c, 400, 1, "bad request target"));
	(void)norm_split_query(path, pathlen, &plen);
	query = path + plen;
	qlen = pathlen - plen;
	if (qlen > 0) {
		query++;	/* the '?' */
		qlen--;
	}
	if (plen == strlen(METRICS_PATH) &&
	    memcmp(path, METRICS_PATH, plen) == 0)
		return (metrics_request(c, closing));
	if (plen != strlen(base) || memcmp(path, base, plen) != 0) {
		if ((act = action_of(base, path, plen, &rest,
		    &restlen)) == 0)
			return (answer_error(c, 404, closing,
			    "status: no such page"));
		if (act == 4) {
			if (q->meth != HTTP_M_GET && q->meth != HTTP_M_HEAD)
				return (answer_error_with(c, 405, closing,
				    "status: a job is GET or HEAD",
				    "Allow: GET, HEAD\r\n"));
			return (purge_http_job(c, rest, restlen, closing));
		}
		if (act == 3 && q->meth != HTTP_M_POST)
			return (answer_error_with(c, 405, closing,
			    "status: purge needs POST", "Allow: POST\r\n"));
		if (act == 3 && cross_site(c))
			return (answer_error(c, 403, closing,
			    "status: purge from another site (Origin)"));
		if (act == 3)
			return (purge_http_status(c, base, query, qlen,
			    closing));
		if (q->meth != HTTP_M_POST)
			return (answer_error_with(c, 405, closing,
			    "status: drain and undrain need POST",
			    "Allow: POST\r\n"));
		if (cross_site(c))
			return (answer_error(c, 403, closing,
			    "status: drain or undrain from another site "
			    "(Origin)"));
		return (drain_action(c, act == 1, query, qlen, closing));
	}
	if (q->meth != HTTP_M_GET && q->meth != HTTP_M_HEAD)
		return (answer_error_with(c, 405, closing,
		    "status: the page is GET or HEAD", "Allow: GET, HEAD\r\n"));
	fmt = status_html_accept(c->buf, &q->h);
	if (query_param(query, qlen, "json", &vlen) != NULL)
		fmt = STATUS_JSON;
	else if ((v = query_param(query, qlen, "format", &vlen)) != NULL)
		fmt = vlen == 4 && memcmp(v, "json", 4) == 0 ? STATUS_JSON :
		    vlen == 4 && memcmp(v, "html", 4) == 0 ? STATUS_HTML :
		    STATUS_TEXT;

	/* the page shows this worker writing it (or finishing, if so) */
	if (sb_get_state(c->w->sb) != SB_GRACEFUL)
		sb_set_state(c->w->sb, SB_WRITING);
	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.keepalive = c->keepalive && !closing;
	if (page_buf == NULL && (page_buf = malloc(STATUS_PAGE_MAX)) == NULL)
		return (answer_error(c, 500, 1, "status: out of memory"));
	if (fmt == STATUS_HTML) {
		(void)snprintf(extra, sizeof(extra), "%s%s", STATUS_EXTRA,
		    STATUS_VARY);
		r.blen = status_html_page(c->w, base, page_buf,
		    STATUS_PAGE_MAX, extra + strlen(extra),
		    sizeof(extra) - strlen(extra));
		r.ctype = "text/html; charset=utf-8";
	} else {
		r.blen = build_page(c->w, fmt == STATUS_JSON);
		r.ctype = fmt == STATUS_JSON ? "application/json" :
		    "text/plain; charset=utf-8";
		(void)snprintf(extra, sizeof(extra), "%s%s", STATUS_EXTRA,
		    STATUS_VARY);
	}
	if (r.blen == 0)
		return (answer_error(c, 500, 1, "status: no page"));
	r.body = page_buf;
	r.extra = extra;
	c->status = 200;
	c->why = "status page";
	return (answer_send(c, &r));
}
