#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master/pidfile.h"

int
pidfile_write(const char *path)
{
	char tmp[PATH_MAX], buf[32];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		return (-1);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n || close(fd) == -1) {
		(void)unlink(tmp);
		return (-1);
	}
	if (rename(tmp, path) == -1) {
		(void)unlink(tmp);
		return (-1);
	}
	return (0);
}

int
pidfile_read(const char *path, pid_t *pid)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0) {
		errno = EINVAL;
		return (-1);
	}
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || v <= 1 ||
	    v > INT_MAX) {
		errno = EINVAL;
		return (-1);
	}
	*pid = (pid_t)v;
	return (0);
}

int
pidfile_is_porter(pid_t pid)
{
	char path[64], comm[64];
	ssize_t n;
	int fd;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return (0);
	/* a pid reused by another program is not a running porter */
	(void)snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	n = read(fd, comm, sizeof(comm) - 1);
	(void)close(fd);
	if (n <= 0)
		return (0);
	comm[n] = '\0';
	return (strncmp(comm, "porter", 6) == 0);
}

int
pidfile_signal(const struct cfg *cfg, const char *action)
{
	static const struct {
		const char	*name;
		int		 sig;
	} actions[] = {
		{ "reload", SIGHUP }, { "stop", SIGTERM },
		{ "quit", SIGQUIT }, { "reopen", SIGUSR1 },
	};
	pid_t pid;
	size_t i;
	int sig = 0;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(action, actions[i].name) == 0)
			sig = actions[i].sig;
	if (sig == 0) {
		(void)fprintf(stderr, "porter: -s %s: unknown action (reload, "
		    "stop, quit, reopen)\n", action);
		return (1);
	}
	if (cfg->pid_file == NULL) {
		(void)fprintf(stderr, "porter: -s %s: %s sets no pid_file, so "
		    "the master cannot be found\n", action, cfg->file);
		return (1);
	}
	if (pidfile_read(cfg->pid_file, &pid) == -1) {
		if (errno == ENOENT)
			(void)fprintf(stderr, "porter: -s %s: no pid file %s: "
			    "porter is not running\n", action, cfg->pid_file);
		else
			(void)fprintf(stderr, "porter: -s %s: pid file %s: %s\n",
			    action, cfg->pid_file, strerror(errno));
		return (1);
	}
	if (!pidfile_is_porter(pid)) {
		(void)fprintf(stderr, "porter: -s %s: stale pid file %s: pid %ld "
		    "is not a running porter\n", action, cfg->pid_file,
		    (long)pid);
		return (1);
	}
	if (kill(pid, sig) == -1) {
		(void)fprintf(stderr, "porter: -s %s: kill %ld: %s\n", action,
		    (long)pid, strerror(errno));
		return (1);
	}
	return (0);
}
