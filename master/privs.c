#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "master/privs.h"

#define PRIVS_DEFAULT_USER	"nobody"

int
privs_resolve(const struct cfg *cfg, struct privs *p, char *err,
    size_t errlen)
{
	const char *user = cfg->user != NULL ? cfg->user : PRIVS_DEFAULT_USER;
	struct passwd *pw;
	struct group *gr;

	memset(p, 0, sizeof(*p));
	if (geteuid() != 0)
		return (0);
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		(void)snprintf(err, errlen, "user \"%s\": %s", user,
		    errno ? strerror(errno) : "no such user");
		return (-1);
	}
	p->active = 1;
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	(void)snprintf(p->user, sizeof(p->user), "%s", user);
	if (cfg->group != NULL) {
		errno = 0;
		if ((gr = getgrnam(cfg->group)) == NULL) {
			(void)snprintf(err, errlen, "group \"%s\": %s",
			    cfg->group, errno ? strerror(errno) :
			    "no such group");
			return (-1);
		}
		p->gid = gr->gr_gid;
	}
	return (0);
}

int
privs_apply(const struct privs *p)
{
	if (!p->active)
		return (0);
	if (setgroups(1, &p->gid) == -1 || setgid(p->gid) == -1 ||
	    setuid(p->uid) == -1)
		return (-1);
	/* Make sure it stuck: getting root back must now fail. */
	if (p->uid != 0 && setuid(0) != -1) {
		errno = EPERM;
		return (-1);
	}
	return (0);
}
