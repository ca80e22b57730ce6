/*
 * The active health checker. One process, one poll() loop over every
 * check in flight, non-blocking sockets: a slow or silent server costs
 * its own check's timeout and nothing else, so no server's interval is
 * stretched by another's.
 *
 * A check tries each address of the server's name in turn, like the
 * workers, and records the one that answered. The same loop looks the
 * names of pools with resolve set up again, asynchronously, and publishes
 * what it finds in the shared segment, where the workers pick it up.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/log.h"
#include "lib/proxyproto.h"
#include "lib/resolve.h"
#include "master/checker.h"
#include "master/privs.h"
#include "shared/health.h"

/* What is read of a response: the status line alone, or with a body to
   search, a head up to CHK_HEAD_MAX and then CHK_BODY_MAX of its body. */
#define CHK_LINE_MAX	512
#define CHK_HEAD_MAX	(16 * 1024)
#define CHK_BODY_MAX	(64 * 1024)
/* First checks are spread over at most this, not sent all at once. */
#define CHK_STAGGER_MS	500
/* The loop wakes at least this often to see whether the master lives. */
#define CHK_WAKE_MS	1000
/* Scanning for inherited descriptors when /proc is not there. */
#define CHK_FD_SCAN	1024
/* A lookup may take this long (or its interval, if shorter). */
#define CHK_RESOLVE_MS	5000
/* How often lookups in flight are polled. */
#define CHK_RESOLVE_POLL_MS 20

enum chk_phase { CHK_IDLE, CHK_CONNECTING, CHK_SENDING, CHK_READING };

struct check {
	const struct cfg_pool	*pool;
	const struct cfg_server	*srv;
	char		*req;		/* the request, built once */
	size_t		 reqlen;
	int64_t		 interval_ms, timeout_ms;
	uint32_t	 row;		/* the server's health row */

	/* the addresses of this check: tried from first, now at, left more */
	struct addrlist	 addrs;
	int		 first, at, left;
	int64_t		 addr_deadline_ms;	/* this address's share */
	char		 tried[256];		/* the ones that failed */

	int		 phase;		/* enum chk_phase */
	int		 fd;
	int64_t		 next_ms;	/* start of the next check */
	int64_t		 deadline_ms;	/* of the one in flight */
	size_t		 sent;
	char		*buf;		/* the response so far */
	size_t		 len, cap;
	size_t		 head_end;	/* body offset once known, else 0 */
	size_t		 scanned;	/* body bytes searched for pool body */
	int		 status;	/* 0 until the status line is read */
	char		 why[160];
};

static int64_t
secs_ms(double secs, int64_t min)
{
	int64_t ms = secs > 0 ? (int64_t)(secs * 1000.0 + 0.5) : 0;

	return (ms < min ? min : ms);
}

static void
on_quit(int sig)
{
	(void)sig;
	_exit(0);
}

/*
 * Signals as the checker wants them, then the master's mask: TERM kills
 * it, QUIT ends it (a graceful stop sent to the whole group); INT (Ctrl-C
 * on porter -f reaches the whole group), HUP, USR1 and USR2 are the
 * master's business, which ends this process when it must.
 */
static void
set_signals(const sigset_t *restore)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGUSR1, &sa, NULL);
	(void)sigaction(SIGUSR2, &sa, NULL);
	(void)sigaction(SIGWINCH, &sa, NULL);
	sa.sa_handler = on_quit;
	(void)sigaction(SIGQUIT, &sa, NULL);
	(void)sigprocmask(SIG_SETMASK, restore, NULL);
}

/*
 * Close what the master's other children must see closed: the write
 * ends of pipes of death (workers wait for their end of file) and
 * listening sockets. Anonymous pipes share pod_fd's device (pipefs); a
 * log written to a named FIFO or a file is kept.
 */
static void
close_one(int fd, int pod_fd, dev_t pipedev)
{
	struct stat st;

	if (fd <= STDERR_FILENO || fd == pod_fd || fstat(fd, &st) == -1)
		return;
	if (S_ISSOCK(st.st_mode) || (S_ISFIFO(st.st_mode) &&
	    st.st_dev == pipedev))
		(void)close(fd);
}

static void
close_inherited(int pod_fd)
{
	struct stat st;
	struct dirent *de;
	dev_t pipedev = (dev_t)-1;
	DIR *d;
	int fd;

	if (fstat(pod_fd, &st) == 0 && S_ISFIFO(st.st_mode))
		pipedev = st.st_dev;
	if ((d = opendir("/proc/self/fd")) == NULL) {
		for (fd = STDERR_FILENO + 1; fd < CHK_FD_SCAN; fd++)
			close_one(fd, pod_fd, pipedev);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd != dirfd(d))
			close_one(fd, pod_fd, pipedev);
	}
	(void)closedir(d);
}

/*
 * The checks of c's pools with health.path; NULL with *n = 0 if none, or
 * with *n != 0 when out of memory.
 */
static struct check *
checks_make(const struct cfg *c, const uint32_t *rows, int *n)
{
	struct check *ck;
	int i, j, k = 0;

	*n = 0;
	for (i = 0; i < c->npools; i++)
		if (c->pools[i].health.path != NULL)
			*n += c->pools[i].nservers;
	if (*n == 0 || (ck = calloc((size_t)*n, sizeof(*ck))) == NULL)
		return (NULL);
	for (i = 0; i < c->npools; i++) {
		const struct cfg_pool *p = &c->pools[i];
		const struct cfg_health *h = &p->health;

		if (h->path == NULL)
			continue;
		for (j = 0; j < p->nservers; j++, k++) {
			const struct cfg_server *s = &p->servers[j];
			const char *method = h->method != NULL ? h->method :
			    "GET";
			const char *host = h->host != NULL ? h->host :
			    s->addr.text;
			size_t cap = strlen(method) + strlen(h->path) +
			    strlen(host) + 128 + PP_WRITE_MAX, pp = 0;
			int w;

			ck[k].pool = p;
			ck[k].srv = s;
			ck[k].row = rows[cfg_server_index(p, j)];
			ck[k].fd = -1;
			ck[k].interval_ms = secs_ms(h->interval, 10);
			ck[k].timeout_ms = secs_ms(h->timeout, 1);
			if ((ck[k].req = malloc(cap)) == NULL)
				goto fail;
			/*
			 * A server that expects a PROXY header gets one that
			 * names nobody (LOCAL): the check is porter's own.
			 */
			if (s->send_proxy && (pp = pp_write_local(
			    s->send_proxy, ck[k].req, cap)) == 0)
				goto fail;
			w = snprintf(ck[k].req + pp, cap - pp, "%s %s HTTP/1.1"
			    "\r\nHost: %s\r\nUser-Agent: porter-health\r\n"
			    "Connection: close\r\n\r\n", method, h->path, host);
			if (w < 0 || (size_t)w >= cap - pp)
				goto fail;
			ck[k].reqlen = pp + (size_t)w;
		}
	}
	return (ck);
fail:
	for (k = 0; k < *n; k++)
		free(ck[k].req);
	free(ck);
	*n = -1;
	return (NULL);
}

/* The check in flight ends: record it, and when the next one starts. */
static void
check_done(const struct shm *shm, struct check *ck, int ok, const char *why)
{
	int64_t now = hc_now_ms();

	if (ck->fd != -1)
		(void)close(ck->fd);
	ck->fd = -1;
	free(ck->buf);
	ck->buf = NULL;
	ck->phase = CHK_IDLE;
	log_debug("check %s/%s: %s", ck->pool->name,
	    ck->srv->addr.text, ok ? "ok" : why);
	hc_check_result(shm, ck->row, ck->pool, now, ok, why);
	/* a check that outlasted its interval: skip the slots it missed */
	while (ck->next_ms <= now)
		ck->next_ms += ck->interval_ms;
}

static void
check_fail_errno(const struct shm *shm, struct check *ck, const char *what,
    int e)
{
	if (e == ECONNREFUSED)
		check_done(shm, ck, 0, "connect refused");
	else if (e == ECONNRESET)
		check_done(shm, ck, 0, "connection reset");
	else {
		(void)snprintf(ck->why, sizeof(ck->why), "%s: %s", what,
		    strerror(e));
		check_done(shm, ck, 0, ck->why);
	}
}

/*
 * The address being tried failed with e: 1 to go on to the next one,
 * 0 when none is left or the time is up (the check has failed then).
 */
static int
check_addr_failed(const struct shm *shm, struct check *ck, int e,
    int64_t now)
{
	char text[ADDR_TEXT];
	size_t len = strlen(ck->tried);

	(void)snprintf(ck->tried + len, sizeof(ck->tried) - len, "%s%s: %s",
	    len > 0 ? "; " : "", addr_text((const struct sockaddr *)
	    &ck->addrs.sa[ck->at], text, sizeof(text)),
	    addr_connect_why(e));
	if (--ck->left > 0 && now < ck->deadline_ms) {
		(void)close(ck->fd);
		ck->fd = -1;
		ck->at = (ck->at + 1) % ck->addrs.n;
		return (1);
	}
	if (e == ETIMEDOUT)
		check_done(shm, ck, 0, "connect timed out");
	else
		check_fail_errno(shm, ck, "connect", e);
	return (0);
}

/* Connected: the address that answered is the one to use from now on. */
static void
check_connected(const struct shm *shm, struct check *ck)
{
	const struct sockaddr *sa = (const struct sockaddr *)
	    &ck->addrs.sa[ck->at];
	char text[ADDR_TEXT];

	ck->phase = CHK_SENDING;
	if (ck->at != ck->first &&
	    srvaddr_prefer(&hc_row(shm, ck->row)->addr, sa))
		log_info("backend %s/%s: now using %s (%s)", ck->pool->name,
		    ck->srv->addr.text, addr_text(sa, text, sizeof(text)),
		    ck->tried);
}

/* Connect to the address at, and on to the next ones while they fail. */
static void
check_connect(const struct shm *shm, struct check *ck, int64_t now)
{
	const struct sockaddr *sa;
	int64_t share;

	for (;;) {
		sa = (const struct sockaddr *)&ck->addrs.sa[ck->at];
		ck->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (ck->fd == -1) {
			/* no verdict on the server for the checker's trouble */
			log_syserr("health check %s/%s: socket",
			    ck->pool->name, ck->srv->addr.text);
			free(ck->buf);
			ck->buf = NULL;
			ck->phase = CHK_IDLE;
			return;
		}
		ck->phase = CHK_CONNECTING;
		share = (ck->deadline_ms - now) / ck->left;
		ck->addr_deadline_ms = now + (share > 1 ? share : 1);
		if (connect(ck->fd, sa, ck->addrs.len[ck->at]) == 0) {
			check_connected(shm, ck);
			return;
		}
		if (errno == EINPROGRESS || errno == EINTR)
			return;
		if (!check_addr_failed(shm, ck, errno, now))
			return;
	}
}

static void
check_begin(const struct shm *shm, struct check *ck, int64_t now)
{
	ck->deadline_ms = now + ck->timeout_ms;
	ck->next_ms = now + ck->interval_ms;
	ck->sent = ck->len = ck->head_end = ck->scanned = 0;
	ck->status = 0;
	ck->cap = ck->pool->health.body != NULL ?
	    CHK_HEAD_MAX + CHK_BODY_MAX : CHK_LINE_MAX;
	if ((ck->buf = malloc(ck->cap)) == NULL) {
		/* no verdict on the server for the checker's own trouble */
		log_syserr("health check %s/%s", ck->pool->name,
		    ck->srv->addr.text);
		return;
	}
	/* the addresses the workers would use, in their order */
	if (srvaddr_list(&hc_row(shm, ck->row)->addr, &ck->addrs,
	    &ck->first) == 0) {
		/* cannot happen: the master publishes before it forks */
		free(ck->buf);
		ck->buf = NULL;
		return;
	}
	ck->at = ck->first;
	ck->left = ck->addrs.n;
	ck->tried[0] = '\0';
	check_connect(shm, ck, now);
}

/* "HTTP/1.x NNN" followed by a space or the end of the line. */
static int
parse_status(const char *p, size_t n)
{
	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    p[7] < '0' || p[7] > '9' || p[8] != ' ' ||
	    p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9')
		return (-1);
	if (n > 12 && p[12] != ' ' && p[12] != '\r' && p[12] != '\n')
		return (-1);
	return ((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
}

/*
 * Judge what has been read (eof: nothing more will come). 1 when the
 * check is over (check_done called), 0 to read on.
 */
static int
check_judge(const struct shm *shm, struct check *ck, int eof)
{
	const struct cfg_health *h = &ck->pool->health;
	const char *nl, *hit;
	size_t blen, from, nlen;

	if (ck->status == 0) {
		nl = memchr(ck->buf, '\n', ck->len);
		if (nl == NULL) {
			if (!eof && ck->len < CHK_LINE_MAX)
				return (0);
			check_done(shm, ck, 0, eof ? "closed early" :
			    "bad response");
			return (1);
		}
		ck->status = parse_status(ck->buf, (size_t)(nl - ck->buf) + 1);
		if (ck->status < 0) {
			check_done(shm, ck, 0, "bad response");
			return (1);
		}
		if (ck->status < h->status_min || ck->status > h->status_max) {
			(void)snprintf(ck->why, sizeof(ck->why), "status %d",
			    ck->status);
			check_done(shm, ck, 0, ck->why);
			return (1);
		}
		if (h->body == NULL) {
			check_done(shm, ck, 1, NULL);
			return (1);
		}
	}
	if (ck->head_end == 0) {
		for (from = 0; from < ck->len; from++) {
			if (ck->buf[from] != '\n')
				continue;
			if (from + 1 < ck->len && ck->buf[from + 1] == '\n') {
				ck->head_end = from + 2;
				break;
			}
			if (from + 2 < ck->len && ck->buf[from + 1] == '\r' &&
			    ck->buf[from + 2] == '\n') {
				ck->head_end = from + 3;
				break;
			}
		}
		if (ck->head_end == 0) {
			if (!eof && ck->len < CHK_HEAD_MAX)
				return (0);
			check_done(shm, ck, 0, eof ? "closed early" :
			    "bad response");
			return (1);
		}
	}
	blen = ck->len - ck->head_end;
	if (blen > CHK_BODY_MAX)
		blen = CHK_BODY_MAX;
	nlen = strlen(h->body);
	/* search only what is new, overlapping by a match's length */
	from = ck->scanned >= nlen ? ck->scanned - nlen + 1 : 0;
	hit = nlen == 0 ? ck->buf : memmem(ck->buf + ck->head_end + from,
	    blen - from, h->body, nlen);
	ck->scanned = blen;
	if (hit != NULL) {
		check_done(shm, ck, 1, NULL);
		return (1);
	}
	if (!eof && blen < CHK_BODY_MAX && ck->len < ck->cap)
		return (0);
	(void)snprintf(ck->why, sizeof(ck->why),
	    "body does not contain \"%.100s\"", h->body);
	check_done(shm, ck, 0, ck->why);
	return (1);
}

/* The socket is ready for what the check waits for. */
static void
check_step(const struct shm *shm, struct check *ck)
{
	socklen_t elen;
	ssize_t n;
	int e;

	if (ck->phase == CHK_CONNECTING) {
		e = 0;
		elen = sizeof(e);
		if (getsockopt(ck->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
			e = errno;
		if (e != 0) {
			if (check_addr_failed(shm, ck, e, hc_now_ms()))
				check_connect(shm, ck, hc_now_ms());
			return;
		}
		check_connected(shm, ck);
	}
	while (ck->phase == CHK_SENDING) {
		n = send(ck->fd, ck->req + ck->sent, ck->reqlen - ck->sent,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				check_fail_errno(shm, ck, "send", errno);
			return;
		}
		ck->sent += (size_t)n;
		if (ck->sent == ck->reqlen)
			ck->phase = CHK_READING;
	}
	for (;;) {
		n = recv(ck->fd, ck->buf + ck->len, ck->cap - ck->len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				check_fail_errno(shm, ck, "read", errno);
			return;
		}
		ck->len += (size_t)n;
		if (check_judge(shm, ck, n == 0) || n == 0)
			return;
	}
}

/* ---- re-resolving names (pools with resolve set) ------------------ */

struct lookup {
	const struct cfg_pool	*pool;
	const struct cfg_server	*srv;
	struct srvaddr		*shared;
	struct resolve		*job;		/* in flight, or NULL */
	int64_t			 every_ms;
	int64_t			 next_ms;	/* the next one starts */
	int64_t			 deadline_ms;	/* of the one in flight */
	int			 failing;	/* its warning is logged */
	struct addrlist		 known;		/* what workers use now */
};

/* A lookup for every name in a pool with resolve; NULL, *n = 0 if none. */
static struct lookup *
lookups_make(const struct cfg *c, const uint32_t *rows, const struct shm *shm,
    int *n)
{
	struct lookup *lk;
	int64_t when;
	int i, j, k = 0;

	*n = 0;
	for (i = 0; i < c->npools; i++)
		for (j = 0; c->pools[i].resolve > 0 &&
		    j < c->pools[i].nservers; j++)
			*n += c->pools[i].servers[j].addr.named;
	if (*n == 0 || (lk = calloc((size_t)*n, sizeof(*lk))) == NULL)
		return (NULL);
	for (i = 0; i < c->npools; i++) {
		const struct cfg_pool *p = &c->pools[i];

		for (j = 0; p->resolve > 0 && j < p->nservers; j++) {
			const struct cfg_server *s = &p->servers[j];

			if (!s->addr.named)
				continue;
			lk[k].pool = p;
			lk[k].srv = s;
			lk[k].shared = &hc_row(shm, rows[cfg_server_index(p,
			    j)])->addr;
			lk[k].every_ms = secs_ms(p->resolve, 1000);
			/* the first lookups right away, a little apart */
			lk[k].next_ms = hc_now_ms() + 10 * k;
			/* what the master or the last checker published */
			(void)srvaddr_read(lk[k].shared, &lk[k].known, &when);
			k++;
		}
	}
	return (lk);
}

/* A lookup found addresses: publish them; log a change once. */
static void
lookup_found(struct lookup *lk, const struct addrlist *got, int64_t now)
{
	char was[400], is[400];

	srvaddr_publish(lk->shared, got, now);
	if (!addrlist_same(&lk->known, got))
		log_info("pool %s: server %s now resolves to %s (was %s)",
		    lk->pool->name, lk->srv->addr.text,
		    addrlist_text(got, is, sizeof(is)),
		    addrlist_text(&lk->known, was, sizeof(was)));
	else if (lk->failing)
		log_info("pool %s: server %s resolves again to %s",
		    lk->pool->name, lk->srv->addr.text,
		    addrlist_text(got, is, sizeof(is)));
	lk->known = *got;
	lk->failing = 0;
}

/* A lookup failed: the last addresses stay; warn once until it works. */
static void
lookup_failed(struct lookup *lk, const char *why)
{
	char was[400];

	if (lk->failing)
		return;
	lk->failing = 1;
	log_warnx("pool %s: server %s: resolving failed (%s); keeping %s",
	    lk->pool->name, lk->srv->addr.text, why != NULL ? why : "error",
	    addrlist_text(&lk->known, was, sizeof(was)));
}

/* Start, poll or end lk's lookup; returns when it wants to run again. */
static int64_t
lookup_step(struct lookup *lk, int64_t now)
{
	struct addrlist got;
	const char *why = NULL;
	int rc;

	if (lk->job == NULL) {
		if (now < lk->next_ms)
			return (lk->next_ms);
		lk->next_ms = now + lk->every_ms;
		lk->deadline_ms = now + (lk->every_ms < CHK_RESOLVE_MS ?
		    lk->every_ms : CHK_RESOLVE_MS);
		if ((lk->job = resolve_start(lk->srv->addr.host,
		    lk->srv->addr.port, &why)) == NULL) {
			lookup_failed(lk, why);
			return (lk->next_ms);
		}
	}
	rc = resolve_poll(lk->job, &got, &why);
	if (rc == RESOLVE_PENDING) {
		if (now < lk->deadline_ms)
			return (now + CHK_RESOLVE_POLL_MS);
		resolve_abandon(lk->job);
		rc = -1;
		why = "resolver timed out";
	}
	lk->job = NULL;		/* freed by resolve_poll or resolve_abandon */
	if (rc > 0)
		lookup_found(lk, &got, now);
	else
		lookup_failed(lk, why);
	return (lk->next_ms);
}

/* Whether c needs a checker: active checks, or names to re-resolve. */
static int
checker_needed(const struct cfg *c)
{
	int i, j;

	for (i = 0; i < c->npools; i++) {
		if (c->pools[i].health.path != NULL)
			return (1);
		for (j = 0; c->pools[i].resolve > 0 &&
		    j < c->pools[i].nservers; j++)
			if (c->pools[i].servers[j].addr.named)
				return (1);
	}
	return (0);
}

/* Whether the master is gone or wants this checker gone. */
static int
told_to_exit(int pod_fd, short revents, pid_t parent)
{
	char c;
	ssize_t n;

	if (getppid() != parent)
		return (1);
	if (revents & POLLNVAL)
		return (1);
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return (0);
	n = read(pod_fd, &c, 1);
	return (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN));
}

static void __attribute__((noreturn))
checker_main(const struct cfg *c, const uint32_t *rows, const struct shm *shm,
    int pod_fd, const sigset_t *restore, const struct privs *pv, pid_t parent)
{
	struct check *ck;
	struct lookup *lk;
	struct pollfd *pfd;
	int *which, n, nlk, i, np;
	int64_t now, wake, t;

	log_set_who("health checker");
	/* "ps" (and the tests) tell it from the workers by its name */
	(void)prctl(PR_SET_NAME, "porter-checker");
	/* never outlive the master, even if it died before prctl */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	set_signals(restore);
	close_inherited(pod_fd);
	/* it reads what servers send: not as root, like the workers */
	if (pv != NULL && privs_apply(pv) == -1) {
		log_syserr("switching to user %s", pv->user);
		_exit(3);
	}

	ck = checks_make(c, rows, &n);
	lk = lookups_make(c, rows, shm, &nlk);
	pfd = calloc((size_t)n + 1, sizeof(*pfd));
	which = calloc((size_t)n + 1, sizeof(*which));
	/* NULL with a count: out of memory */
	if ((ck == NULL && n != 0) || (lk == NULL && nlk != 0) ||
	    pfd == NULL || which == NULL) {
		log_syserr("health checker");
		_exit(1);
	}
	now = hc_now_ms();
	for (i = 0; i < n; i++) {
		int64_t spread = ck[i].interval_ms < CHK_STAGGER_MS ?
		    ck[i].interval_ms : CHK_STAGGER_MS;

		ck[i].next_ms = now + spread * i / n;
	}
	log_info("health checker started (%d server%s checked, %d name%s "
	    "re-resolved)", n, n == 1 ? "" : "s", nlk, nlk == 1 ? "" : "s");

	for (;;) {
		now = hc_now_ms();
		for (i = 0; i < n; i++) {
			if (ck[i].phase == CHK_IDLE && now >= ck[i].next_ms)
				check_begin(shm, &ck[i], now);
			else if (ck[i].phase != CHK_IDLE &&
			    now >= ck[i].deadline_ms)
				check_done(shm, &ck[i], 0,
				    ck[i].phase == CHK_CONNECTING ?
				    "connect timed out" : "timed out");
			else if (ck[i].phase == CHK_CONNECTING &&
			    now >= ck[i].addr_deadline_ms &&
			    check_addr_failed(shm, &ck[i], ETIMEDOUT, now))
				check_connect(shm, &ck[i], now);
		}
		wake = now + CHK_WAKE_MS;
		for (i = 0; i < nlk; i++)
			if ((t = lookup_step(&lk[i], now)) < wake)
				wake = t;
		pfd[0].fd = pod_fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		np = 1;
		for (i = 0; i < n; i++) {
			if (ck[i].phase == CHK_IDLE) {
				/* a check that could not start: next slot */
				while (ck[i].next_ms <= now)
					ck[i].next_ms += ck[i].interval_ms;
				if (ck[i].next_ms < wake)
					wake = ck[i].next_ms;
				continue;
			}
			if (ck[i].deadline_ms < wake)
				wake = ck[i].deadline_ms;
			if (ck[i].phase == CHK_CONNECTING &&
			    ck[i].addr_deadline_ms < wake)
				wake = ck[i].addr_deadline_ms;
			pfd[np].fd = ck[i].fd;
			pfd[np].events = ck[i].phase == CHK_READING ? POLLIN :
			    POLLOUT;
			pfd[np].revents = 0;
			which[np++] = i;
		}
		if (poll(pfd, (nfds_t)np, (int)(wake > now ? wake - now : 0))
		    == -1 && errno != EINTR) {
			log_syserr("health checker: poll");
			_exit(1);
		}
		if (told_to_exit(pod_fd, pfd[0].revents, parent))
			break;
		for (i = 1; i < np; i++)
			if (pfd[i].revents != 0)
				check_step(shm, &ck[which[i]]);
	}
	/* nothing to flush, and the master's exit handlers are not ours */
	_exit(0);
}

pid_t
checker_start(const struct cfg *c, const uint32_t *rows, const struct shm *shm,
    int pod_fd, const sigset_t *restore, const struct privs *pv)
{
	pid_t parent = getpid(), pid;

	if (!checker_needed(c))
		return (0);
	if ((pid = fork()) == 0)
		checker_main(c, rows, shm, pod_fd, restore, pv, parent);
	return (pid);
}
