#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

#define LOG_LINE_MAX	2048
/* Longest a process waits for a syslog server to take a line. */
#define LOG_SYSLOG_WAIT_US	100000
/* "<191>Dec  6 08:25:34 " + host + tag + "[4194304]: " */
#define LOG_SYSLOG_HEAD	(32 + 64 + LOG_TAG_MAX + 16)

/* An open destination: the error log, or one access log. */
struct log_file {
	int		 fd;		/* -1: off */
	struct log_dest	 d;		/* d.path is ours */
	char		 host[64];	/* UDP syslog: this host's name */
};

struct log_sinks {
	int		 n;
	struct log_file	*f;
};

static struct log_file	errlog = { STDERR_FILENO, { .to = LOG_TO_STDERR },
			    "" };
static struct log_sinks	*sinks;		/* the access logs in use */
static int		level = LOGL_INFO;
static char		who[96];

static const char *const level_name[] = {
	"alert", "error", "warn", "info", "debug"
};
/* syslog severities of the levels: alert means a bug */
static const int level_severity[] = { 1, 3, 4, 6, 7 };

/*
 * A datagram socket connected to the syslog server (as the master, before
 * any privilege drop: a socket in a private folder works too). A line
 * that the server does not take within LOG_SYSLOG_WAIT_US is dropped
 * rather than holding a worker.
 */
static int
syslog_connect(const struct log_dest *d)
{
	struct timeval tv = { 0, LOG_SYSLOG_WAIT_US };
	int fd, e;

	fd = socket(d->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&d->sa, d->salen) == -1) {
		e = errno;
		(void)close(fd);
		errno = e;
		return (-1);
	}
	return (fd);
}

/* A descriptor for d, not yet installed anywhere; -1 with errno. */
static int
dest_fd(const struct log_dest *d)
{
	switch (d->to) {
	case LOG_TO_STDERR:
		return (STDERR_FILENO);
	case LOG_TO_FILE:
		return (open(d->path, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0644));
	case LOG_TO_SYSLOG:
		return (syslog_connect(d));
	default:
		errno = EINVAL;
		return (-1);
	}
}

static void
file_close(struct log_file *f)
{
	if (f->fd > STDERR_FILENO)
		(void)close(f->fd);
	free(f->d.path);
	f->d.path = NULL;
	f->fd = -1;
}

/* f (closed or unused) opened to d: 0, or -1 with errno (f untouched). */
static int
file_open(struct log_file *f, const struct log_dest *d)
{
	char *path = NULL;
	int fd = -1, e;

	if (d->to != LOG_TO_OFF && (fd = dest_fd(d)) == -1)
		return (-1);
	if (d->path != NULL && (path = strdup(d->path)) == NULL) {
		e = errno;
		if (fd > STDERR_FILENO)
			(void)close(fd);
		errno = e;
		return (-1);
	}
	f->fd = fd;
	f->d = *d;
	f->d.path = path;
	f->host[0] = '\0';
	if (d->to == LOG_TO_SYSLOG && d->sa.ss_family != AF_UNIX &&
	    (gethostname(f->host, sizeof(f->host)) == -1 ||
	    f->host[0] == '\0'))
		(void)snprintf(f->host, sizeof(f->host), "localhost");
	f->host[sizeof(f->host) - 1] = '\0';
	return (0);
}

/* The same destination again, on the same descriptor number. */
static int
file_reopen(struct log_file *f)
{
	int fd;

	if (f->fd < 0 || (f->d.to != LOG_TO_FILE && f->d.to != LOG_TO_SYSLOG))
		return (0);
	if ((fd = dest_fd(&f->d)) == -1)
		return (-1);
	if (dup2(fd, f->fd) == -1) {
		(void)close(fd);
		return (-1);
	}
	(void)close(fd);
	return (0);
}

int
log_open_dest(const struct log_dest *d)
{
	struct log_file nf;

	if (d->to == LOG_TO_OFF) {
		errno = EINVAL;
		return (-1);
	}
	if (file_open(&nf, d) == -1)
		return (-1);
	file_close(&errlog);
	errlog = nf;
	return (0);
}

int
log_open(const char *path)
{
	struct log_dest d;

	memset(&d, 0, sizeof(d));
	d.to = path == NULL || strcmp(path, "stderr") == 0 ? LOG_TO_STDERR :
	    LOG_TO_FILE;
	d.path = d.to == LOG_TO_FILE ? (char *)(uintptr_t)path : NULL;
	d.severity = -1;
	return (log_open_dest(&d));
}

int
log_reopen(void)
{
	int i, rc = 0, e = 0;

	if (file_reopen(&errlog) == -1) {
		rc = -1;
		e = errno;
	}
	for (i = 0; sinks != NULL && i < sinks->n; i++)
		if (file_reopen(&sinks->f[i]) == -1 && rc == 0) {
			rc = -1;
			e = errno;
		}
	errno = e;
	return (rc);
}

void
log_set_level(int l)
{
	level = l;
}

int
log_enabled(int l)
{
	return (l <= level);
}

void
log_set_who(const char *s)
{
	(void)snprintf(who, sizeof(who), "%s", s);
}

/*
 * "2026/11/29 15:30:00" for the error log, "Nov 29 15:30:00" for syslog,
 * recomputed at most once a second.
 */
static const char *
timestamp(int syslog_form)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static char buf[32], sbuf[20];
	static time_t last = -1;
	time_t now = time(NULL);
	struct tm tm;

	if (now != last && localtime_r(&now, &tm) != NULL) {
		(void)strftime(buf, sizeof(buf), "%Y/%m/%d %H:%M:%S", &tm);
		/* RFC 3164: English month, day padded with a space */
		(void)snprintf(sbuf, sizeof(sbuf), "%.3s %2d %02d:%02d:%02d",
		    months + 3 * (tm.tm_mon % 12), tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		last = now;
	}
	return (syslog_form ? sbuf : buf);
}

/* Write all of a line; a log that cannot be written is given up quietly. */
static void
write_line(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/*
 * One RFC 3164 message, as the local syslog expects it: "<PRI>TIMESTAMP
 * TAG[PID]: MSG" (a remote one gets HOSTNAME before TAG), one datagram.
 * A server that went away and came back (its socket made anew) is
 * connected to again once.
 */
static void
syslog_send(struct log_file *f, int severity, const char *msg, size_t n)
{
	char head[LOG_SYSLOG_HEAD];
	struct iovec iov[2];
	int k, tries;

	if (n > 0 && msg[n - 1] == '\n')
		n--;
	k = snprintf(head, sizeof(head), "<%d>%s %s%s%s[%ld]: ",
	    f->d.facility * 8 + severity, timestamp(1), f->host,
	    f->host[0] != '\0' ? " " : "", f->d.tag, (long)getpid());
	if (k < 0 || (size_t)k >= sizeof(head))
		return;
	for (tries = 0; tries < 2; tries++) {
		iov[0].iov_base = head;
		iov[0].iov_len = (size_t)k;
		iov[1].iov_base = (void *)(uintptr_t)msg;
		iov[1].iov_len = n;
		if (writev(f->fd, iov, 2) >= 0)
			return;
		if (errno == EINTR)
			continue;
		if ((errno != ECONNREFUSED && errno != ENOTCONN &&
		    errno != ECONNRESET) || tries > 0 || file_reopen(f) == -1)
			return;
	}
}

static void
vlog(int l, int with_errno, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 256];
	int saved = errno, n;

	if (l > level)
		return;
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	if (errlog.d.to == LOG_TO_SYSLOG)	/* syslog stamps time and pid */
		n = snprintf(line, sizeof(line), "%s%s%s%s%s", who,
		    who[0] ? ": " : "", msg, with_errno ? ": " : "",
		    with_errno ? strerror(saved) : "");
	else
		n = snprintf(line, sizeof(line), "%s [%s] %ld: %s%s%s%s%s\n",
		    timestamp(0), level_name[l], (long)getpid(), who,
		    who[0] ? ": " : "", msg, with_errno ? ": " : "",
		    with_errno ? strerror(saved) : "");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;	/* cut, but still one whole line */
		line[n - 1] = '\n';
	}
	if (errlog.d.to == LOG_TO_SYSLOG)
		syslog_send(&errlog, level_severity[l], line, (size_t)n);
	else
		write_line(errlog.fd, line, (size_t)n);
	errno = saved;
}

#define LOG_FN(name, lvl, err)					\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	vlog(lvl, err, fmt, ap);				\
	va_end(ap);						\
}

LOG_FN(log_alert, LOGL_ALERT, 0)
LOG_FN(log_error, LOGL_ERROR, 0)
LOG_FN(log_syserr, LOGL_ERROR, 1)
LOG_FN(log_warn, LOGL_WARN, 1)
LOG_FN(log_warnx, LOGL_WARN, 0)
LOG_FN(log_info, LOGL_INFO, 0)
LOG_FN(log_debug, LOGL_DEBUG, 0)

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOGL_ERROR, 0, fmt, ap);
	va_end(ap);
	/* a start that fails must say why where it was started, too */
	if (errlog.fd != STDERR_FILENO) {
		char msg[LOG_LINE_MAX];

		va_start(ap, fmt);
		if (vsnprintf(msg, sizeof(msg), fmt, ap) >= 0)
			(void)fprintf(stderr, "porter: %s\n", msg);
		va_end(ap);
	}
	exit(1);
}

void
log_sinks_free(struct log_sinks *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		file_close(&s->f[i]);
	free(s->f);
	free(s);
}

struct log_sinks *
log_sinks_open(const struct log_dest *d, int n, char *err, size_t errlen)
{
	struct log_sinks *s;
	int i;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (n > 0 && (s->f = calloc((size_t)n, sizeof(*s->f))) == NULL)) {
		(void)snprintf(err, errlen, "out of memory");
		free(s);
		return (NULL);
	}
	for (i = 0; i < n; i++) {
		if (file_open(&s->f[i], &d[i]) == 0) {
			s->n = i + 1;
			continue;
		}
		if (d[i].to == LOG_TO_FILE)
			(void)snprintf(err, errlen, "access_log %s: %s",
			    d[i].path, strerror(errno));
		else if (d[i].sa.ss_family == AF_UNIX)
			(void)snprintf(err, errlen, "access_log: syslog "
			    "server unix:%s: %s", ((const struct sockaddr_un *)
			    (const void *)&d[i].sa)->sun_path, strerror(errno));
		else
			(void)snprintf(err, errlen, "access_log: syslog "
			    "server: %s", strerror(errno));
		log_sinks_free(s);
		return (NULL);
	}
	return (s);
}

void
log_sinks_use(struct log_sinks *s)
{
	if (s == sinks)
		return;
	log_sinks_free(sinks);
	sinks = s;
}

void
log_sink_write(int i, const char *p, size_t n)
{
	struct log_file *f;

	if (sinks == NULL || i < 0 || i >= sinks->n)
		return;
	f = &sinks->f[i];
	if (f->fd < 0)
		return;
	if (f->d.to == LOG_TO_SYSLOG)
		syslog_send(f, f->d.severity, p, n);
	else
		write_line(f->fd, p, n);
}
