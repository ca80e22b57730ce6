/*
 * Error and access logging for the master and the workers.
 * Each line is written with one write(2) to an O_APPEND descriptor, so lines
 * from many processes sharing one file never interleave.
 */
#ifndef PORTER_LIB_LOG_H
#define PORTER_LIB_LOG_H

#include <stddef.h>

/* Levels; the config's log_level maps onto these (alert is always on). */
enum log_level { LOGL_ALERT, LOGL_ERROR, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };

/* "stderr" or a path (opened O_APPEND|O_CREAT). 0, or -1 with errno set. */
int	log_open(const char *path);
/* path NULL: access log off. 0, or -1 with errno set. */
int	log_access_open(const char *path);
/* Reopen both files at their paths (logrotate). 0, or -1 with errno set. */
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

int	log_access_enabled(void);
/* One access-log line; the timestamp is added here. */
void	log_access(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
