#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "master/listen.h"
#include "master/master.h"
#include "master/upgrade.h"

/*
 * Binary upgrade, nginx's way: on USR2 the master renames its pid file to
 * FILE.oldbin and execs the (new) binary with the listening sockets left
 * open and their numbers in PORTER_LISTEN_FDS. The new master adopts them
 * instead of binding (which would fail: the old one still has them), so
 * both serve from the same kernel queues. The operator then sends QUIT to
 * the old master; if the new one dies first, the old one takes its pid
 * file back and goes on.
 */
#define UPGRADE_ENV	"PORTER_LISTEN_FDS"

static int
oldbin_path(const struct master *m, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.oldbin", m->cfg->pid_file);

	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

void
upgrade_start(struct master *m)
{
	char fds[1024], oldbin[PATH_MAX];
	size_t off = 0;
	pid_t pid;
	int i;

	if (m->upgrade_pid > 0) {
		log_warnx("USR2: an upgrade is already under way (new master "
		    "%ld)", (long)m->upgrade_pid);
		return;
	}
	for (i = 0; i < m->cfg->nlisteners; i++) {
		int n = snprintf(fds + off, sizeof(fds) - off, "%s%d",
		    i ? "," : "", m->lfds[i]);

		if (n < 0 || (size_t)n >= sizeof(fds) - off) {
			log_error("USR2: too many listeners to pass on");
			return;
		}
		off += (size_t)n;
	}
	if (m->cfg->pid_file != NULL) {
		if (oldbin_path(m, oldbin, sizeof(oldbin)) == -1 ||
		    rename(m->cfg->pid_file, oldbin) == -1) {
			log_syserr("USR2: renaming the pid file %s",
			    m->cfg->pid_file);
			return;
		}
	}
	pid = fork();
	if (pid == -1) {
		log_syserr("USR2: fork");
		if (m->cfg->pid_file != NULL)
			(void)rename(oldbin, m->cfg->pid_file);
		return;
	}
	if (pid == 0) {
		(void)sigprocmask(SIG_SETMASK, &m->oldmask, NULL);
		for (i = 0; i < m->cfg->nlisteners; i++) {
			int fl = fcntl(m->lfds[i], F_GETFD);

			if (fl != -1)
				(void)fcntl(m->lfds[i], F_SETFD,
				    fl & ~FD_CLOEXEC);
		}
		if (setenv(UPGRADE_ENV, fds, 1) == -1)
			_exit(127);
		execv(m->exe, m->argv);
		log_syserr("USR2: exec %s", m->exe);
		_exit(127);
	}
	m->upgrade_pid = pid;
	log_info("USR2: started %s as pid %ld; send QUIT to this master (%ld) "
	    "once it serves", m->exe, (long)pid, (long)getpid());
}

void
upgrade_failed(struct master *m, int st)
{
	char oldbin[PATH_MAX];

	if (WIFSIGNALED(st))
		log_error("the new master %ld was killed by signal %d; the "
		    "upgrade failed, this master goes on",
		    (long)m->upgrade_pid, WTERMSIG(st));
	else
		log_error("the new master %ld exited with status %d; the "
		    "upgrade failed, this master goes on",
		    (long)m->upgrade_pid, WEXITSTATUS(st));
	m->upgrade_pid = 0;
	if (m->cfg->pid_file != NULL &&
	    oldbin_path(m, oldbin, sizeof(oldbin)) == 0 &&
	    rename(oldbin, m->cfg->pid_file) == -1)
		log_syserr("taking the pid file %s back", m->cfg->pid_file);
}

int
upgrade_inherited(void)
{
	return (getenv(UPGRADE_ENV) != NULL);
}

void
upgrade_release_pidfile(struct master *m)
{
	char oldbin[PATH_MAX];

	if (m->cfg->pid_file != NULL &&
	    oldbin_path(m, oldbin, sizeof(oldbin)) == 0)
		(void)unlink(oldbin);
}

void
upgrade_adopt(struct master *m)
{
	const char *env = getenv(UPGRADE_ENV);
	char err[CFG_ERRLEN], *copy, *tok, *save = NULL;
	int inherited[256], n = 0, i;

	if (env == NULL)
		return;
	if ((copy = strdup(env)) == NULL)
		log_fatal("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok != NULL && n < 256;
	    tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long fd = strtol(tok, &end, 10);

		if (*end != '\0' || fd < 3 || fd > INT_MAX ||
		    fcntl((int)fd, F_GETFD) == -1) {
			log_warnx("%s: ignoring \"%s\"", UPGRADE_ENV, tok);
			continue;
		}
		inherited[n++] = (int)fd;
	}
	free(copy);
	(void)unsetenv(UPGRADE_ENV);
	free(m->lfds);
	m->lfds = listen_all(m->cfg, inherited, n, err, sizeof(err));
	if (m->lfds == NULL)
		log_fatal("%s", err);
	/* an inherited socket this configuration has no listener for */
	for (i = 0; i < n; i++) {
		int used = 0, j;

		for (j = 0; j < m->cfg->nlisteners; j++)
			if (m->lfds[j] == inherited[i])
				used = 1;
		if (!used)
			(void)close(inherited[i]);
	}
	log_info("took over the listening sockets of the old master");
}
