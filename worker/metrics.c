/*
 * /metrics: everything the status page shows, for Prometheus.
 *
 * Names: porter_ and the counter table's name (shared/counters.h), with
 * _total for counters and the unit (_bytes, _seconds) where there is
 * one. Every counter comes from the segment, summed over the retired
 * totals and the live slots in one consistent read (ctr_totals_more), so
 * none drops at a reload, a recycle or a retirement; per-backend totals
 * come from the health table and the cache's from the store, which both
 * outlive workers and reloads.
 *
 * The page is built whole in a fixed buffer (METRICS_PAGE_MAX), like the
 * status page. Prometheus has no way to say "truncated": a page that does
 * not fit is not sent in part (a scrape that silently lost series would
 * read as zeros and resets); the answer is a 500 and an error is logged,
 * so the scrape fails where it shows (up == 0).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "shared/counters.h"
#include "shared/health.h"
#include "shared/histo.h"
#include "shared/scoreboard.h"
#include "shared/store.h"
#include "worker/answer.h"
#include "worker/metrics.h"
#include "worker/prom.h"

#ifndef METRICS_PAGE_MAX
#define METRICS_PAGE_MAX	(1024 * 1024)
#endif
#define METRICS_EXTRA	"Cache-Control: no-store\r\n" \
			"X-Content-Type-Options: nosniff\r\n"
#define METRICS_ESC	(4 * CTR_LKEY + 4 * 300)	/* an escaped value */

/* One per worker process, made on its first scrape (pages touched as used). */
static char *page_buf;

static const char *const state_names[] = {
	"dead", "starting", "idle", "reading", "upstream", "writing",
	"keepalive", "tunnel", "graceful"
};
#define NSTATES	(int)(sizeof(state_names) / sizeof(state_names[0]))

static const char *const class_names[CTR_NCLASS] = {
	"1xx", "2xx", "3xx", "4xx", "5xx"
};

/* -1 when the listener has no row (cannot happen: the master claims all) */
static int
lst_row(const struct worker *w, const struct cfg_listener *l)
{
	int k = (int)(l - w->cfg->listeners);

	if (k < 0 || k >= w->cfg->nlisteners)
		return (-1);
	return (w->lst_rows[k]);
}

void
metrics_request_done(struct conn *c, double start)
{
	struct ctr_more *m = &c->w->sb->more;
	int cl = ctr_class(c->status), row = lst_row(c->w, c->lst);

	if (cl < 0)
		return;
	if (row >= 0)
		sb_add(&m->responses[row][cl], 1);
	histo_add(&m->histo[CTR_HISTO(request_duration)],
	    histo_us(clock_now() - start));
}

void
metrics_refused(struct worker *w, enum ctr_rule rule)
{
	if ((int)rule < 0 || rule >= CTR_NRULES)
		rule = CTR_RULE_other;
	sb_add(&w->sb->refused, 1);
	sb_add(&w->sb->more.refused[rule], 1);
}

void
metrics_upstream_header(struct worker *w, double secs)
{
	histo_add(&w->sb->more.histo[CTR_HISTO(upstream_header_duration)],
	    histo_us(secs));
}

/*
 * A counter table entry's name on /metrics into dst: the exceptions
 * carry their unit; a COUNTER gets _total. NULL for the entries shown
 * another way (the STATE gauges: porter_workers{state} says more;
 * refused: porter_refused_total{rule}).
 */
static const char *
table_name(int id, char *dst, size_t cap)
{
	const struct ctr_def *d = &ctr_defs[id];

	if (d->where == CTR_STATE || id == CTR_ID(refused))
		return (NULL);
	if (id == CTR_ID(bytes_in))
		return ("porter_client_received_bytes_total");
	if (id == CTR_ID(bytes_out))
		return ("porter_client_sent_bytes_total");
	(void)snprintf(dst, cap, "porter_%s%s", d->name,
	    d->type == CTR_COUNTER ? "_total" : "");
	return (dst);
}

static void
put_table(struct prom *pr, const uint64_t v[CTR_N])
{
	char name[128];
	const char *n;
	int id;

	for (id = 0; id < CTR_N; id++) {
		if ((n = table_name(id, name, sizeof(name))) == NULL)
			continue;
		prom_family(pr, n, ctr_defs[id].type == CTR_COUNTER ?
		    "counter" : "gauge", ctr_defs[id].help);
		prom_put(pr, "%s %llu\n", n, (unsigned long long)v[id]);
	}
}

static void
put_labelled(struct prom *pr, const struct worker *w,
    const struct ctr_more_v *m)
{
	char esc[METRICS_ESC];
	const char *key;
	int i, k;

	prom_family(pr, "porter_responses_total", "counter",
	    "Responses to clients, by the listener that took the request and "
	    "the status class (499: the client left first)");
	for (i = 0; i < CTR_LISTENERS; i++) {
		if ((key = ctr_lst_key(w->shm, i)) == NULL)
			continue;
		(void)prom_escape(key, esc, sizeof(esc));
		for (k = 0; k < CTR_NCLASS; k++)
			prom_put(pr, "porter_responses_total{listener=\"%s\","
			    "code=\"%s\"} %llu\n", esc, class_names[k],
			    (unsigned long long)m->responses[i][k]);
	}
	prom_family(pr, "porter_refused_total", "counter",
	    "Requests refused by access, filtering or proxy authentication "
	    "rules, by the setting that refused them");
	for (i = 0; i < CTR_NRULES; i++)
		prom_put(pr, "porter_refused_total{rule=\"%s\"} %llu\n",
		    ctr_rules[i].name, (unsigned long long)m->refused[i]);
}

static void
put_histos(struct prom *pr, const struct ctr_more_v *m)
{
	uint64_t cum[HISTO_NB + 1];
	char name[96], le[32], sum[48];
	int h, i;

	for (h = 0; h < CTR_NHISTO; h++) {
		(void)snprintf(name, sizeof(name), "porter_%s_seconds",
		    ctr_histos[h].name);
		prom_family(pr, name, "histogram", ctr_histos[h].help);
		histo_cumulate(&m->histo[h], cum);
		for (i = 0; i <= HISTO_NB; i++) {
			(void)histo_le_text(i, le, sizeof(le));
			prom_put(pr, "%s_bucket{le=\"%s\"} %llu\n", name, le,
			    (unsigned long long)cum[i]);
		}
		(void)histo_secs_text(m->histo[h].sum_us, sum, sizeof(sum));
		prom_put(pr, "%s_sum %s\n%s_count %llu\n", name, sum, name,
		    (unsigned long long)cum[HISTO_NB]);
	}
}

static void
put_workers(struct prom *pr, const struct worker *w)
{
	uint64_t n[NSTATES];
	uint32_t i;
	int st;

	memset(n, 0, sizeof(n));
	for (i = 0; i < w->shm->hdr->nslots; i = sb_scan_next(w->shm, i)) {
		st = sb_get_state(sb_slot(w->shm, i));
		if (st > 0 && st < NSTATES)
			n[st]++;
	}
	prom_family(pr, "porter_workers", "gauge",
	    "Worker processes alive, by scoreboard state");
	for (st = 1; st < NSTATES; st++)
		prom_put(pr, "porter_workers{state=\"%s\"} %llu\n",
		    state_names[st], (unsigned long long)n[st]);
	prom_family(pr, "porter_worker_slots", "gauge",
	    "Scoreboard slots: workers.max twice, for two generations");
	prom_put(pr, "porter_worker_slots %u\n", w->shm->hdr->nslots);
}

static void
put_waiter(struct prom *pr, const struct worker *w)
{
	const struct shm_waiter *sw = &w->shm->hdr->waiter;
	static const char *const why[PARK_NWHY] = { "head", "keepalive",
	    "body" };
	uint64_t started = atomic_load(&sw->started);
	int i;

	prom_family(pr, "porter_parked_connections", "gauge",
	    "Connections the waiter holds now, by what they wait for");
	for (i = 0; i < PARK_NWHY; i++)
		prom_put(pr, "porter_parked_connections{reason=\"%s\"} %u\n",
		    why[i], atomic_load(&sw->parked[i]));
	prom_family(pr, "porter_waiter_pending", "gauge",
	    "Connections the waiter has ready, not yet taken by a worker");
	prom_put(pr, "porter_waiter_pending %u\n", atomic_load(&sw->pending));
	prom_family(pr, "porter_waiter_max_connections", "gauge",
	    "waiter.max_conns (0: no waiter)");
	prom_put(pr, "porter_waiter_max_connections %u\n",
	    atomic_load(&sw->max_conns));
	prom_family(pr, "porter_waiter_handoffs_total", "counter",
	    "Connections handed between workers and the waiter: in, taken "
	    "from workers; out, given back with a request");
	prom_put(pr, "porter_waiter_handoffs_total{direction=\"in\"} %llu\n"
	    "porter_waiter_handoffs_total{direction=\"out\"} %llu\n",
	    (unsigned long long)atomic_load(&sw->handoffs_in),
	    (unsigned long long)atomic_load(&sw->handoffs_out));
	prom_family(pr, "porter_waiter_timeouts_total", "counter",
	    "Parked connections closed by a timeout or limits.min_rate");
	prom_put(pr, "porter_waiter_timeouts_total %llu\n",
	    (unsigned long long)atomic_load(&sw->timeouts));
	prom_family(pr, "porter_waiter_closed_total", "counter",
	    "Parked connections closed by their client");
	prom_put(pr, "porter_waiter_closed_total %llu\n",
	    (unsigned long long)atomic_load(&sw->closed));
	prom_family(pr, "porter_waiter_yields_total", "counter",
	    "Turns of the waiter that ended by letting others run "
	    "(workers.yield)");
	prom_put(pr, "porter_waiter_yields_total %llu\n",
	    (unsigned long long)atomic_load(&sw->yields));
	prom_family(pr, "porter_waiter_restarts_total", "counter",
	    "Waiters the master started again after one died");
	prom_put(pr, "porter_waiter_restarts_total %llu\n",
	    (unsigned long long)(started > 0 ? started - 1 : 0));
}

/* One family over every server of the running configuration. */
enum bk_field { BK_UP, BK_STATE, BK_ACTIVE, BK_REQUESTS, BK_FAILURES,
	BK_TIMEOUTS, BK_RETRIES, BK_CHECKS_FAILED, BK_LATENCY, BK_N };

static const struct {
	const char	*name, *type, *help;
} bk_fams[BK_N] = {
	{ "porter_backend_up", "gauge",
	    "1 while the server is up by its health checks (draining too), "
	    "0 while down" },
	{ "porter_backend_state", "gauge",
	    "1 for the server's state now: up, down or draining" },
	{ "porter_backend_in_flight", "gauge",
	    "Requests on the server now, from every worker" },
	{ "porter_backend_requests_total", "counter",
	    "Requests sent to the server" },
	{ "porter_backend_failures_total", "counter",
	    "Passive failures: connect refused or timed out, reset, timeout, "
	    "a status in fail_status" },
	{ "porter_backend_timeouts_total", "counter",
	    "Passive failures that were timeouts" },
	{ "porter_backend_retries_total", "counter",
	    "Requests sent to the server after they failed on another "
	    "(retries)" },
	{ "porter_backend_checks_failed_total", "counter",
	    "Active health checks that failed" },
	{ "porter_backend_latency_seconds", "gauge",
	    "Moving average of the response head's latency" },
};

static void
put_backends(struct prom *pr, const struct worker *w)
{
	static const char *const states[] = { "up", "down", "draining" };
	const struct cfg *cfg = w->cfg;
	char pool[METRICS_ESC], srv[METRICS_ESC];
	int f, i, k, s;

	for (f = 0; f < BK_N; f++) {
		prom_family(pr, bk_fams[f].name, bk_fams[f].type,
		    bk_fams[f].help);
		for (i = 0; i < cfg->npools; i++) {
			const struct cfg_pool *p = &cfg->pools[i];

			(void)prom_escape(p->name, pool, sizeof(pool));
			for (k = 0; k < p->nservers; k++) {
				uint32_t row = worker_row(w, p, k);
				const struct hc_row *r = hc_row(w->shm, row);
				const char *now = hc_state_name(w->shm, row);
				uint64_t v = 0;

				(void)prom_escape(p->servers[k].addr.text, srv,
				    sizeof(srv));
				switch (f) {
				case BK_STATE:
					for (s = 0; s < 3; s++)
						prom_put(pr, "%s{pool=\"%s\","
						    "server=\"%s\",state=\"%s\"}"
						    " %d\n", bk_fams[f].name,
						    pool, srv, states[s],
						    strcmp(now, states[s]) == 0);
					continue;
				case BK_LATENCY:
					prom_put(pr, "%s{pool=\"%s\",server="
					    "\"%s\"} %.6f\n", bk_fams[f].name,
					    pool, srv, (double)atomic_load(
					    &r->latency_us) / 1e6);
					continue;
				case BK_UP:
					v = atomic_load(&r->state) == HC_UP;
					break;
				case BK_ACTIVE:
					v = atomic_load(&r->active) > 0 ?
					    (uint64_t)atomic_load(&r->active) :
					    0;
					break;
				case BK_REQUESTS:
					v = atomic_load(&r->requests);
					break;
				case BK_FAILURES:
					v = atomic_load(&r->failures);
					break;
				case BK_TIMEOUTS:
					v = atomic_load(&r->timeouts);
					break;
				case BK_RETRIES:
					v = atomic_load(&r->retries);
					break;
				default:
					v = atomic_load(&r->checks_failed);
					break;
				}
				prom_put(pr, "%s{pool=\"%s\",server=\"%s\"} "
				    "%llu\n", bk_fams[f].name, pool, srv,
				    (unsigned long long)v);
			}
		}
	}
}

static void
put_cache(struct prom *pr, const struct worker *w)
{
	struct store *st = shm_store(w->shm);
	struct store_stats s;
	int i;

	if (st == NULL)
		return;
	store_stats(st, &s);
	prom_family(pr, "porter_cache_events_total", "counter",
	    "Cache events by kind: hits, misses, fills, evictions, responses "
	    "not stored and why (the status page's cache counters)");
	for (i = 0; i < STORE_C_MAX; i++)
		prom_put(pr, "porter_cache_events_total{event=\"%s\"} %llu\n",
		    store_counter_name(i), (unsigned long long)s.c[i]);
	prom_family(pr, "porter_cache_objects", "gauge",
	    "Objects stored and ready");
	prom_put(pr, "porter_cache_objects %llu\n",
	    (unsigned long long)s.objects);
	prom_family(pr, "porter_cache_object_bytes", "gauge",
	    "Bytes of the objects stored");
	prom_put(pr, "porter_cache_object_bytes %llu\n",
	    (unsigned long long)s.bytes);
	prom_family(pr, "porter_cache_size_bytes", "gauge",
	    "The cache's part of the shared segment");
	prom_put(pr, "porter_cache_size_bytes %llu\n",
	    (unsigned long long)w->shm->hdr->cache_size);
	prom_family(pr, "porter_cache_chunks", "gauge",
	    "The cache's chunks, free or used");
	prom_put(pr, "porter_cache_chunks{state=\"free\"} %llu\n"
	    "porter_cache_chunks{state=\"used\"} %llu\n",
	    (unsigned long long)s.chunks_free,
	    (unsigned long long)(s.chunks_total - s.chunks_free));
}

/* The page into page_buf; its length, 0 when it does not fit or no memory. */
static size_t
build_page(const struct worker *w)
{
	const struct shm *shm = w->shm;
	struct ctr_more_v *more;
	uint64_t v[CTR_N];
	struct prom pr;

	if (page_buf == NULL && (page_buf = malloc(METRICS_PAGE_MAX)) == NULL)
		return (0);
	/* 15 KiB or so: not on the stack */
	if ((more = malloc(sizeof(*more))) == NULL)
		return (0);
	/* -1 (the master stuck mid-fold): a plain sum, shown all the same */
	(void)ctr_totals_more(shm, v, more);
	prom_init(&pr, page_buf, METRICS_PAGE_MAX);
	prom_family(&pr, "porter_info", "gauge",
	    "Always 1; the running porter's version");
	prom_put(&pr, "porter_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	prom_family(&pr, "porter_start_time_seconds", "gauge",
	    "When the master started (unix time)");
	prom_put(&pr, "porter_start_time_seconds %lld\n",
	    (long long)shm->hdr->started);
	prom_family(&pr, "porter_generation", "gauge",
	    "The configuration generation: 1 at start, one more at each "
	    "reload");
	prom_put(&pr, "porter_generation %u\n",
	    (unsigned)atomic_load(&shm->hdr->generation));
	put_table(&pr, v);
	put_labelled(&pr, w, more);
	put_histos(&pr, more);
	put_workers(&pr, w);
	put_waiter(&pr, w);
	put_backends(&pr, w);
	put_cache(&pr, w);
	free(more);
	if (pr.full) {
		log_error("metrics: the page does not fit in %d bytes: "
		    "answered 500", METRICS_PAGE_MAX);
		return (0);
	}
	return (pr.len);
}

int
metrics_request(struct conn *c, int closing)
{
	const struct http_req *q = &c->req;
	struct respond r;

	if (q->meth != HTTP_M_GET && q->meth != HTTP_M_HEAD)
		return (answer_error_with(c, 405, closing,
		    "metrics: GET or HEAD", "Allow: GET, HEAD\r\n"));
	if (sb_get_state(c->w->sb) != SB_GRACEFUL)
		sb_set_state(c->w->sb, SB_WRITING);
	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.keepalive = c->keepalive && !closing;
	if ((r.blen = build_page(c->w)) == 0)
		return (answer_error(c, 500, 1, "metrics: page too large or "
		    "out of memory"));
	r.body = page_buf;
	r.ctype = PROM_CTYPE;
	r.extra = METRICS_EXTRA;
	c->status = 200;
	c->why = "metrics";
	return (answer_send(c, &r));
}
