/*
 * /metrics on the status listener: the segment's counters, gauges and
 * histograms in the Prometheus text format (0.0.4), and what a worker
 * records for them beside the counter table's own entries.
 */
#ifndef PORTER_WORKER_METRICS_H
#define PORTER_WORKER_METRICS_H

#include "shared/counters.h"
#include "worker/client.h"
#include "worker/state.h"

/* The path, on the status listener only (status.path may not be it). */
#define METRICS_PATH	"/metrics"

/*
 * A request ended with c->status (its response written, or the client
 * gone): its status class under its listener, and its duration since
 * start (clock_now()). A status outside 100..599 is not counted.
 */
void	metrics_request_done(struct conn *c, double start);

/* A request refused by rule: refused, and refused by that rule. */
void	metrics_refused(struct worker *w, enum ctr_rule rule);

/* A backend's response head came secs after the attempt began. */
void	metrics_upstream_header(struct worker *w, double secs);

/*
 * Answer GET or HEAD of METRICS_PATH (405 otherwise); the client passed
 * the status listener's allow and deny. closing: the connection ends
 * after the answer. Returns 0 if the connection may go on.
 */
int	metrics_request(struct conn *c, int closing);

#endif
