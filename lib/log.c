#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

#define LOG_LINE_MAX	2048

struct log_file {
	int	fd;
	char	*path;		/* NULL: stderr, or off for the access log */
};

static struct log_file	errlog = { STDERR_FILENO, NULL };
static struct log_file	acclog = { -1, NULL };
static int		level = LOGL_INFO;
static char		who[96];

static const char *const level_name[] = {
	"alert", "error", "warn", "info", "debug"
};

static int
file_open(struct log_file *f, const char *path, int is_err)
{
	int fd;
	char *copy = NULL;

	if (path == NULL && !is_err) {
		if (f->fd > STDERR_FILENO)
			(void)close(f->fd);
		free(f->path);
		f->fd = -1;
		f->path = NULL;
		return (0);
	}
	if (path == NULL || strcmp(path, "stderr") == 0) {
		fd = STDERR_FILENO;
	} else {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd == -1)
			return (-1);
		if ((copy = strdup(path)) == NULL) {
			(void)close(fd);
			return (-1);
		}
	}
	if (f->fd > STDERR_FILENO)
		(void)close(f->fd);
	if (copy != f->path) {
		free(f->path);
		f->path = copy;
	}
	f->fd = fd;
	return (0);
}

int
log_open(const char *path)
{
	return (file_open(&errlog, path, 1));
}

int
log_access_open(const char *path)
{
	return (file_open(&acclog, path, 0));
}

static int
file_reopen(struct log_file *f)
{
	int fd;

	if (f->path == NULL)
		return (0);
	fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return (-1);
	if (dup2(fd, f->fd) == -1) {
		(void)close(fd);
		return (-1);
	}
	(void)close(fd);
	return (0);
}

int
log_reopen(void)
{
	if (file_reopen(&errlog) == -1)
		return (-1);
	return (file_reopen(&acclog));
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

/* "2026/11/29 15:30:00", recomputed at most once a second. */
static const char *
timestamp(void)
{
	static char buf[32];
	static time_t last = -1;
	time_t now = time(NULL);
	struct tm tm;

	if (now != last && localtime_r(&now, &tm) != NULL) {
		(void)strftime(buf, sizeof(buf), "%Y/%m/%d %H:%M:%S", &tm);
		last = now;
	}
	return (buf);
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

static void
vlog(int l, int with_errno, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 256];
	int saved = errno, n;

	if (l > level)
		return;
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	n = snprintf(line, sizeof(line), "%s [%s] %ld: %s%s%s%s%s\n",
	    timestamp(), level_name[l], (long)getpid(), who, who[0] ? ": " : "",
	    msg, with_errno ? ": " : "", with_errno ? strerror(saved) : "");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;	/* cut, but still one whole line */
		line[n - 1] = '\n';
	}
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

int
log_access_enabled(void)
{
	return (acclog.fd != -1);
}

void
log_access(const char *fmt, ...)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 64];
	va_list ap;
	int n;

	if (acclog.fd == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = snprintf(line, sizeof(line), "%s %s\n", timestamp(), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	write_line(acclog.fd, line, (size_t)n);
}
