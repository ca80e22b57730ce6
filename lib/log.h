/*
 * Error and access logging for the master and the workers.
 * Each line is written with one write(2) to an O_APPEND descriptor, so lines
 * from many processes sharing one file never interleave.
 */
#ifndef PORTER_LIB_LOG_H
#define PORTER_LIB_LOG_H

#include <sys/socket.h>

#include <stddef.h>

/* Levels; the config's log_level maps onto these (alert is always on). */
enum log_level { LOGL_ALERT, LOGL_ERROR, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };

/*
 * Where lines go: stderr, a file (O_APPEND), or a syslog server that
 * takes RFC 3164 datagrams: a local unix socket (/dev/log), or UDP.
 * config/cfg_log.c fills these from error_log and access_log.
 */
enum log_to { LOG_TO_OFF, LOG_TO_STDERR, LOG_TO_FILE, LOG_TO_SYSLOG };
#define LOG_TAG_MAX	32

struct log_dest {
	int			 to;		/* enum log_to */
	char			*path;		/* LOG_TO_FILE: absolute */
	struct sockaddr_storage	 sa;		/* LOG_TO_SYSLOG: AF_UNIX
						   (datagram) or AF_INET/6
						   (UDP) */
	socklen_t		 salen;
	int			 facility;	/* 0..23 (local7 = 23) */
	int			 severity;	/* 0..7; -1: each line's level
						   (the error log) */
	char			 tag[LOG_TAG_MAX + 1];
};

/* "stderr" or a path (opened O_APPEND|O_CREAT). 0, or -1 with errno set. */
int	log_open(const char *path);
/* The error log to d (stderr, a file or syslog). 0, or -1 with errno set. */
int	log_open_dest(const struct log_dest *d);
/*
 * Reopen the error log and every access log at their paths (logrotate),
 * and connect again to syslog servers. 0, or -1 with errno set.
 */
int	log_reopen(void);
void	log_set_level(int);
int	log_enabled(int);
/* Text put before every message of this process, e.g. "gen 1 slot 3". */
void	log_set_who(const char *);

/* alert = a bug or an impossible state; tests fail on it. */
void	log_alert(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Like log_error but with ": strerror(errno)". */
void	log_syserr(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Master only, before workers exist: log and exit(1). */
void	log_fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Access logs: a set of destinations, opened by the master (workers may
 * run as a user that could not open them) and inherited; lines name one
 * by its index (the config's). Open a new set; on failure NULL, with
 * err saying which and why. log_sinks_use makes it the set in use (the
 * one before is closed); log_sinks_free drops a set never used.
 */
struct log_sinks;
struct log_sinks *log_sinks_open(const struct log_dest *, int n, char *err,
	    size_t errlen);
void	log_sinks_use(struct log_sinks *);
void	log_sinks_free(struct log_sinks *);
/*
 * One access line, p[0..n) ending in a newline, to sink i of the set in
 * use: one write(2) on a file (lines of many processes never mix), one
 * datagram to syslog (without the newline). Lost quietly if it cannot go.
 */
void	log_sink_write(int i, const char *p, size_t n);

#endif
